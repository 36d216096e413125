"""刘二大人第 3 讲（``gdlab lesson liu-er-gd``）。"""

MESSAGES = {
    "liu-er-gd.title": "刘二大人第 3 讲：手写梯度下降与 SGD，拟合 y = 2x",
    "liu-er-gd.summary": "在 y=2x 上用 Python 浮点数和 float32 做 GD 与逐样本 SGD；笔记打印的数字出自哪种配置",
    "liu-er-gd.explanation": (
        "当 w < 2 时，梯度 ∂cost/∂w = 2x(xw − y) 的平均值为负（w 增大时代价减小），所以沿梯度的"
        "反方向走一步，w ← w − 0.01·grad，就把 w 推向 2：这就是梯度下降；沿梯度方向走则会让代价"
        "上升（梯度上升）。代价（cost）是所有样本损失的平均；全批量 GD 每轮更新一次（共 100 次），"
        "逐样本 SGD 每个样本更新一次（同样 100 轮共 300 次），所以 100 轮后 SGD 离 2 近得多——原因"
        "是它的更新次数是 GD 的 3 倍，而不是因为它“随机”：它按顺序访问样本。笔记在 GD 代码下面打印了 "
        "7.999998569488525，但 GD 用 Python 浮点数得到 7.999777758621207，用 float32 得到 "
        "7.999777317047119：笔记的数字是逐样本 SGD 在 float32 下的结果，无论用什么方式计算（带 "
        "autograd 的张量、NumPy 手写、gdlab 的引擎）都一样。使用 autograd 时，PyTorch 在代码运行时"
        "构建 (x·w − y)² 的计算图（动态图），backward() 填好 w.grad 并释放这张图，下一次前向传播再"
        "建一张新图。"),
    "liu-er-gd.data": "数据 x = {x}，y = {y}；模型 y = w·x，w = {w0}；学习率 {lr}；{epochs} 轮",
    "liu-er-gd.h.gd": "== 1. 全批量梯度下降，Python 浮点数（笔记的第一个程序，以下为程序的原样输出） ==",
    "liu-er-gd.h.sgd": "== 2. 逐样本 SGD，Python 浮点数（笔记的第二个程序，以下为程序的原样输出） ==",
    "liu-er-gd.h.f32": "== 3. 在 float32 张量上做逐样本 SGD，梯度由 autograd 计算 ==",
    "liu-er-gd.h.which": "== 笔记打印的数字出自哪种配置？ ==",
    "liu-er-gd.h.faster": "== SGD 收敛更快吗？ ==",
    "liu-er-gd.config.GD, Python floats": "GD，Python 浮点数",
    "liu-er-gd.config.SGD, Python floats": "SGD，Python 浮点数",
    "liu-er-gd.config.GD, float32 autograd": "GD，float32 autograd",
    "liu-er-gd.config.SGD, float32 autograd": "SGD，float32 autograd",
    "liu-er-gd.config.GD, float32 NumPy": "GD，float32 NumPy 手写",
    "liu-er-gd.config.SGD, float32 NumPy": "SGD，float32 NumPy 手写",
    "liu-er-gd.config.GD, float32 gdlab": "GD，float32 gdlab.train",
    "liu-er-gd.config.SGD, float32 gdlab": "SGD，float32 gdlab.train",
    "liu-er-gd.notes_mark": "  <- 笔记中的数字",
    "liu-er-gd.config_line": "  {label} {updates:>3} 次更新  predict(4) = {value!r}{mark}",
    "liu-er-gd.engines_line": (
        "（gdlab.train：y = w·x 不带偏置，按顺序访问各行，{engines} 三个引擎给出相同的数字；"
        "float64 下 GD 得到 {gd64!r}，SGD 得到 {sgd64!r}）"),
    "liu-er-gd.faster_gd": "  全批量 GD   {updates:>3} 次更新，学习率 {lr:g}：|w − 2| = {err:.3g}",
    "liu-er-gd.faster_sgd": "  逐样本 SGD  {updates:>3} 次更新，学习率 {lr:g}：|w − 2| = {err:.3g}",
    "liu-er-gd.faster_gd_long": "  全批量 GD   {updates:>3} 次更新，学习率 {lr:g}：|w − 2| = {err:.3g}",
    "liu-er-gd.faster_gd_lr": ("  全批量 GD   {updates:>3} 次更新，学习率 {lr:g}：|w − 2| = {err:.3g}"
                               "（predict(4) = {predict!r}）"),
    "liu-er-gd.erratum.stochastic": (
        "笔记把这个循环称为随机梯度下降，但它每一轮都按 x = 1, 2, 3 的同一顺序访问样本：其中没有"
        "任何随机性，再运行一次仍打印同样的 {again!r}。“随机”指的是随机抽取顺序（或批量）：每轮把"
        "三个样本打乱（种子 {seed}）得到 {shuffled!r}。在 gdlab 中 --optimizer sgd 会打乱顺序；"
        "--no-shuffle 保持课程中的顺序。"),
    "liu-er-gd.erratum.float32": (
        "笔记在 GD 代码下面打印了 {notes!r}，但那段代码用 Python 浮点数得到 {gd!r}，用 float32 "
        "得到 {gd32!r}。{notes!r} 是逐样本 SGD 在 float32 下的结果——上表中每一种 float32 SGD："
        "带 autograd 的张量、NumPy 手写、gdlab 的引擎——所以它来自用 float32 数运行的 SGD 循环"
        "（课程的下一讲使用 float32 张量）。"),
    "liu-er-gd.erratum.faster": (
        "笔记得出结论说 SGD 收敛更快。在 100 轮里它做的更新是 GD 的 3 倍（300 次对 100 次）；按"
        "更新次数比，两者差不多（GD 做 300 次更新：|w − 2| = {gd_long:.3g}，SGD：{sgd:.3g}），"
        "而把 GD 的步长放大 3 倍，学习率 {lr:g}，它用 100 次更新就比 SGD 的 300 次更接近答案："
        "{gd_lr:.3g}。"),
    "liu-er-gd.fig.title": "刘二大人第 3 讲：在 x = [1, 2, 3]、y = 2x 上拟合 y = w·x，学习率 0.01",
    "liu-er-gd.fig.cost_title": "每轮的代价 / 损失",
    "liu-er-gd.fig.cost_y": "平方误差",
    "liu-er-gd.fig.gd_cost": "GD：更新前的代价（3 个样本的平均）",
    "liu-er-gd.fig.sgd_loss": "SGD：最后一个样本更新后的损失",
    "liu-er-gd.fig.f32_loss": "SGD，float32 autograd：最后一个样本更新前的损失",
    "liu-er-gd.fig.w_title": "每轮的 w（答案是 w = 2）",
    "liu-er-gd.fig.gd_w": "GD，{n} 次更新",
    "liu-er-gd.fig.sgd_w": "SGD，{n} 次更新",
    "liu-er-gd.fig.f32_w": "SGD，float32 autograd",
    "liu-er-gd.fig.gap_title": "离答案的距离 |w − 2|",
    "liu-er-gd.fig.gd_fast": "GD，学习率 {lr:g}，{n} 次更新",
}
