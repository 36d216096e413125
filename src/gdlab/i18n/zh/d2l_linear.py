"""《动手学深度学习》3.2–3.3（``gdlab lesson d2l-linear``）。"""

MESSAGES = {
    "d2l-linear.title": "《动手学深度学习》3.2-3.3：线性回归的从零实现与简洁实现",
    "d2l-linear.summary": "矢量化计时及其交叉点；线性回归从零实现（½ 平方损失）与 nn.Linear + MSELoss 实现",
    "d2l-linear.explanation": (
        "Python 循环为每个元素付一次解释器的开销，一次向量运算只付一次（无论向量多短都要几微秒），"
        "所以循环只在极小的数据上占优——即上面测得的交叉点——超过之后就慢上几个数量级：要一次写出"
        "整个批量的数学运算。这也是 `gdlab compare toy-1d`（3 行）显示 scalar 引擎最快的原因：比较"
        "引擎要用几百行或更多的数据。两种训练都在 3 轮内恢复出 w ≈ [2, −3.4] 和 b ≈ 4.2（批量 10 "
        "的 300 次迭代：一轮是遍历一次数据，一次迭代是一次更新）。它们在相同学习率下结果不同，是因为"
        " d2l 从零实现的损失是 ½(ŷ − y)²，而 MSELoss 是不带 ½ 的 (ŷ − y)²：简洁实现的梯度是两倍，"
        "所以那里的 lr 0.03 走的是从零实现在 lr 0.06 下的步子（上面的运行得到完全相同的参数）。损失"
        "的归约方式同样重要：d2l 把批量上的损失求和，再在它的 sgd() 里除以批量大小；只求和不除会把"
        "步长放大批量大小倍。gdlab 总是对批量取平均，并在损失名中写明 ½（half-mse 与 mse），所以学习"
        "率在每个引擎中含义相同。"),
    "d2l-linear.data": "数据：{n} 行，2 个特征 ~ N(0, 1)，y = X·{w} + {b} + N(0, {noise}²)",
    "d2l-linear.first_row": "第一行：features[0] = {x}，label[0] = {y:.4f}",
    "d2l-linear.h.vector": "== 矢量化：把两个 {n} 维向量相加 ==",
    "d2l-linear.loop_time": "用 Python 循环逐元素相加：{seconds:.5f} 秒",
    "d2l-linear.vector_time": "一次向量运算 a + b：    {seconds:.5f} 秒（{us:.1f} 微秒）",
    "d2l-linear.ratio": "向量运算快 {ratio:.0f} 倍（这是实测值：因机器而异）",
    "d2l-linear.erratum.timer": (
        "笔记用 time.time() 给一次 a + b 计时，并用 '%.5f sec' 打印：这里打印出 {printed}。一次 "
        "a + b 大约需要 {per_call:.2g} 微秒（1000 次调用的平均），比这个格式能显示的 10 微秒还短，"
        "而 time.time()（自 1970 年起的秒数，一个浮点数）以 {step:.3g} 微秒为一步跳动：单次计时测"
        "到的是时钟本身和第一次调用的预热（这次为 {first:.3g} 微秒），而不是加法。应当像上面那样用 "
        "time.perf_counter() 给多次调用计时再相除。"),
    "d2l-linear.h.pays": "== 矢量化从哪里开始划算（计时值因机器而异） ==",
    "d2l-linear.col.n": "n",
    "d2l-linear.col.loop": "Python 循环（微秒）",
    "d2l-linear.col.vector": "一次张量 a + b（微秒）",
    "d2l-linear.col.ratio": "循环 / 张量",
    "d2l-linear.pays_vector": (
        "把两个含 n 个 Python 浮点数的列表相加，耗时与 n 成正比；一次张量调用无论长度都大约花 "
        "{call:.2g} 微秒，所以这里从 n = {n} 起它更快。"),
    "d2l-linear.pays_vector_none": (
        "在这台机器上，直到 n = {n} 仍有某个长度下循环更快（一次张量调用大约 {call:.2g} 微秒）："
        "机器繁忙时短时间的计时噪声很大；请再运行一次。"),
    "d2l-linear.pays_engines_none": (
        "在这台机器上，直到 {rows} 行 scalar 引擎并非在每个规模上都更慢（那里 scalar / manual = "
        "{ratio:.2f}）：机器繁忙时短时间的计时噪声很大；请再运行一次。"),
    "d2l-linear.col.rows": "行数",
    "d2l-linear.col.scalar": "scalar 引擎（毫秒/轮）",
    "d2l-linear.col.manual": "manual 引擎（毫秒/轮）",
    "d2l-linear.col.ratio_engines": "scalar / manual",
    "d2l-linear.pays_engines": (
        "整个训练也是一样：在 synthetic-linear 上做全批量 GD，比较 gdlab 的 scalar 引擎（Python "
        "浮点数和循环）与 manual 引擎（矢量化张量）。manual 引擎从 {n} 行起更快，在 {rows} 行时快 "
        "{ratio:.0f} 倍：`gdlab compare toy-1d` 只有 3 行，太少，显示不出来；`gdlab compare "
        "synthetic-linear` 能显示出来。"),
    "d2l-linear.h.scratch": "== 从零实现：½ 平方损失，批量 {batch}，学习率 {lr}，{epochs} 轮 ==",
    "d2l-linear.scratch_epoch": "第 {epoch} 轮，损失 {train_loss:f}",
    "d2l-linear.w_error": "w 的估计误差：[{w0:.6f}, {w1:.6f}]",
    "d2l-linear.b_error": "b 的估计误差：{b:.6f}",
    "d2l-linear.h.concise": "== 简洁实现：nn.Linear、MSELoss、torch.optim.SGD，相同起点，学习率 {lr} ==",
    "d2l-linear.concise_epoch": "第 {epoch} 轮，损失：{train_loss:f}",
    "d2l-linear.h.differ": "== 为什么相同学习率下结果不同 ==",
    "d2l-linear.same_units": "第 1 轮之后，用同样的单位（(ŷ − y)² 的平均）：从零实现 {scratch:.6f}，简洁实现 {concise:.6f}",
    "d2l-linear.same_exact": "完全相同的参数",
    "d2l-linear.same_rounding": "在 float32 舍入误差范围内相同的参数（{diff:.2g}）",
    "d2l-linear.twice": "MSELoss 没有 ½，所以它的梯度是从零实现的 2 倍：从零实现在 lr {lr:g} 下最终得到{same}",
    "d2l-linear.fig.x2": "特征 2（x₂）",
    "d2l-linear.fig.label": "标签 y",
    "d2l-linear.fig.scatter_sub": "斜率 ≈ −3.4（真实的 w₂）；点的散开来自特征 1，而不是微小的噪声",
    "d2l-linear.fig.scatter_title": "d2l 3.2 的合成数据：第二个特征与标签",
    "d2l-linear.fig.scratch": "从零实现，½ 平方损失，lr {lr:g}",
    "d2l-linear.fig.concise": "简洁实现，MSELoss，lr {lr:g}",
    "d2l-linear.fig.per_epoch": "每轮（第 0 轮：起点）",
    "d2l-linear.fig.per_update": "前 100 次更新（批量损失）",
    "d2l-linear.fig.mse_all": "所有行上 (ŷ − y)² 的平均",
    "d2l-linear.fig.mse_batch": "批量上 (ŷ − y)² 的平均",
    "d2l-linear.fig.update_axis": "更新次数（迭代）",
    "d2l-linear.fig.loss_title": "相同起点、相同批量：lr 0.03 的 MSELoss 与 lr 0.06 的 ½ 平方损失走法一样",
    "d2l-linear.fig.loop_series": "对 n 个浮点数的 Python 循环",
    "d2l-linear.fig.vector_series": "一次张量运算 a + b",
    "d2l-linear.fig.n_axis": "n（相加的数的个数）",
    "d2l-linear.fig.us_axis": "微秒，对数刻度",
    "d2l-linear.fig.vector_panel": "两个含 n 个数的向量相加",
    "d2l-linear.fig.scalar_series": "scalar 引擎（Python 浮点数）",
    "d2l-linear.fig.manual_series": "manual 引擎（矢量化张量）",
    "d2l-linear.fig.rows_axis": "synthetic-linear 的行数",
    "d2l-linear.fig.ms_axis": "每个全批量轮次的毫秒数，对数刻度",
    "d2l-linear.fig.engine_panel": "一轮梯度下降",
    "d2l-linear.fig.speed_title": "循环按元素计时，一次向量运算对任意 n 的耗时差不多",
}
