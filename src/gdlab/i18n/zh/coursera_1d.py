"""Coursera《Deep Neural Networks with PyTorch》第 2 模块（``gdlab lesson coursera-1d``）。"""

MESSAGES = {
    "coursera-1d.title": "Coursera PyTorch 第 2 模块：用 nn.Linear 做一维线性回归",
    "coursera-1d.summary": "nn.Linear、自定义模块、state_dict；按课程顺序用 GD、SGD 和小批量训练斜率与截距；学习率",
    "coursera-1d.explanation": (
        "nn.Linear 把输入的每一行当作一个样本，所以一次调用就能预测多个样本；调用模型会运行它的 "
        "forward()，state_dict() 是参数张量组成的字典（改动其中的值就改动了模型）。直线上的噪声是"
        "高斯分布时，最小化均方误差就是正确的拟合方式；噪声越大，点只是散得越开。代价（cost）是一个"
        "批量上损失的平均；梯度下降沿代价梯度的反方向走，在等高线图上梯度垂直于等高线——因此只有"
        "等高线是圆时它才指向最小值。一轮（epoch）是遍历一次数据：批量 GD 每轮更新 1 次，SGD 60 "
        "次，小批量 60/批量大小 次，所以 10 轮之后小批量的几次运行已接近最小值，而批量 GD 还在路上。"
        "对 SGD 来说行的顺序很重要：按课程顺序（x 递增），相邻的更新每次把直线拉向数据的某一段，第"
        "一轮后的代价远高于每轮打乱顺序时。学习率太小几乎不动；太大会越过谷底来回震荡，或者每一步"
        "都变大而发散（gdlab 会停下并说明原因）。可以在固定轮数后停止，或在损失不再下降时停止。"),
    "coursera-1d.h.prediction": "== 1. 用 nn.Linear 预测、自定义模块、state_dict() ==",
    "coursera-1d.linear": "torch.manual_seed(1); nn.Linear(1, 1)：权重 {w:.4f}，偏置 {b:.4f}",
    "coursera-1d.rows": "x = [[1], [2], [3]]（每行一个样本）-> model(x) = [{values}]",
    "coursera-1d.forward": "model(x) 运行的是 model.forward(x)：结果相同：{same}",
    "coursera-1d.custom": "自定义模块 LR(1, 1)（nn.Module 的子类，同一随机种子）给出相同的预测：{same}",
    "coursera-1d.state": "state_dict() 的键：{keys}；值：{values}",
    "coursera-1d.state_set": ("执行 state_dict()['linear.weight'][0, 0] = 1 和 "
                              "['linear.bias'][0] = -1 之后：model(x) = [{values}]"),
    "coursera-1d.gdlab_keys": "（gdlab.LinearRegression 就是这样的模块；它的键是 {keys}）",
    "coursera-1d.h.noise": "== 2. 噪声：y = x - 1 附近的高斯噪声 ==",
    "coursera-1d.noise_line": ("噪声 N(0, {noise}²)：最小二乘直线 w = {w:.3f}，b = {b:.3f}；"
                               "点偏离直线的标准差为 {spread:.3f}"),
    "coursera-1d.h.train": ("== 3. 从 w = {w0:g}、b = {b0:g} 开始训练 w 和 b，学习率 {lr}，{epochs} 轮，"
                            "共 {n} 个点 =="),
    "coursera-1d.h.course_order": "-- 按课程的顺序：每轮按原来的顺序访问各行，x 递增（--no-shuffle） --",
    "coursera-1d.h.shuffled": "-- 对照：每轮打乱各行的顺序（gdlab 的默认做法） --",
    "coursera-1d.opt.batch GD": "批量 GD",
    "coursera-1d.opt.SGD": "SGD",
    "coursera-1d.opt.mini-batch 5": "小批量 5",
    "coursera-1d.opt.mini-batch 10": "小批量 10",
    "coursera-1d.opt.mini-batch 20": "小批量 20",
    "coursera-1d.epoch_col": "轮次（该轮之后的代价）",
    "coursera-1d.updates": "更新次数",
    "coursera-1d.final": "{name} {n:>3} 次更新 -> w = {w:.4f}，b = {b:.4f}",
    "coursera-1d.order_why": (
        "SGD 第一轮之后，按课程顺序的代价是 {ordered:.6g}，打乱顺序时是 {shuffled:.6g}。按课程顺序，"
        "x 从 {x0:g} 递增到 {x1:g}，相邻的更新看到的是相似的行，每次都把直线拉向数据的某一段：这一轮"
        "结束时它停在 (w, b) = ({w:.3f}, {b:.3f})。打乱顺序后，相邻的更新来自各处的行，它们的拉力"
        "相互抵消。"),
    "coursera-1d.h.lr": "== 4. 学习率（批量 GD，{epochs} 轮） ==",
    "coursera-1d.epoch_col_lr": "轮次",
    "coursera-1d.rate.small": "太小",
    "coursera-1d.rate.good": "合适",
    "coursera-1d.rate.overshoots": "太大：越过最小值",
    "coursera-1d.rate.diverges": "太大：发散",
    "coursera-1d.rate_line": "lr {lr:<6g} {verdict} {status}",
    "coursera-1d.diverged_at": "在第 {epoch} 轮发散",
    "coursera-1d.final_cost": "最终代价 {cost:.4g}",
    "coursera-1d.stopping": (
        "停止规则：学习率 {lr}，最多 1000 轮，--tol {tol:g} --patience {patience}，批量 GD 在 "
        "{epochs} 轮后停止（{reason}：代价的下降不再超过 {tol:g}），此时代价为 {cost:.5f}"),
    "coursera-1d.erratum.points_to_minimum": (
        "笔记说梯度方向指向最小值。在起点 (w, b) = ({w0:g}, {b0:g})，下降方向 −∇L = "
        "({gw:.2f}, {gb:.2f}) 与通往最小值 ({w:.3f}, {b:.3f}) 的直线相差 {angle:.1f}°：−∇L 垂直于"
        "经过该点的等高线，只有等高线是圆时它才指向最小值（见 coursera-surface.png 中起点处的两支"
        "箭头）。"),
    "coursera-1d.erratum.plot_sign": (
        "课程画等高线的辅助函数计算的是 w·x − b 而不是 w·x + b，所以它画出的是关于 b 镜像的曲面："
        "图中最小值在 b = {mb:.3f} 处，而不是 {b:.3f}；在那里真实的代价是 {mirrored:.4g}（真正的"
        "最小值处为 {least:.4g}）。gdlab 的曲面按 w·x + b 计算。"),
    "coursera-1d.fig.surface": "课程顺序：批量 GD、SGD 和小批量从 (w, b) = ({w0:g}, {b0:g}) 出发，学习率 {lr}，{epochs} 轮",
    "coursera-1d.fig.surface_shuffled": "每轮打乱顺序：同样的运行从 (w, b) = ({w0:g}, {b0:g}) 出发，学习率 {lr}，{epochs} 轮",
    "coursera-1d.fig.animation": "课程顺序，一步一步：从 (w, b) = ({w0:g}, {b0:g}) 出发，学习率 {lr}",
    "coursera-1d.fig.lr": "批量 GD 从 (w, b) = ({w0:g}, {b0:g}) 出发，四种学习率",
    "coursera-1d.fig.lr_surface": "四种学习率下批量 GD 的路径（发散的那条离开了视野）",
    "coursera-1d.fig.noise_title": "拟合所假设的噪声：点偏离直线 y = x − 1 的量服从高斯分布",
    "coursera-1d.fig.noise_line": "直线 y = x − 1",
    "coursera-1d.fig.noise_points": "噪声 σ = {noise:g} 的点",
    "coursera-1d.fig.noise_hist": "偏离量，σ = {noise:g}（直方图）",
    "coursera-1d.fig.noise_pdf": "高斯密度 N(0, {noise:g}²)",
    "coursera-1d.fig.noise_data_title": "x = −3 … 2.9 的 60 个点分布在直线两侧",
    "coursera-1d.fig.noise_hist_title": "点离直线有多远",
    "coursera-1d.fig.noise_x": "偏离直线的量：y − (x − 1)",
    "coursera-1d.fig.noise_y": "概率密度",
}
