"""吴恩达第 2 周（``gdlab lesson ng-logistic``）。"""

MESSAGES = {
    "ng-logistic.title": "吴恩达第 2 周：把逻辑回归看作神经网络",
    "ng-logistic.summary": "手写矢量化的前向/反向传播、计算图、平方误差与交叉熵对比；数字图像或 --data catvnoncat .h5",
    "ng-logistic.explanation": (
        "逻辑回归是只有一个神经元的网络：前向传播用一次矩阵乘法对所有样本算出 Z = wᵀX + b 和 "
        "A = σ(Z)，反向传播沿计算图往回走（dZ = A − Y，dw = X·dZᵀ/m，db = mean(dZ)）；手写的梯度"
        "与 autograd 一致（autograd 在前向代码运行时记录同一张图：PyTorch 的图是动态的，每次前向"
        "重新构建，而静态图要先声明、再送入数据），也与 gdlab 的引擎一致。损失（loss）是一个样本"
        "的误差，代价（cost）是它在训练集上的平均。用交叉熵时，对 Z 的梯度是 A − Y，预测错得越"
        "自信，梯度越大；用平方误差时它还要乘上 σ'(Z) = A(1 − A)，而在那里这个因子几乎为 0，于是"
        "训练几乎停滞（而且平方误差的代价对 w 不是凸的）。交叉熵第二项的符号很重要：像笔记那样写"
        "错符号，最小化它会把标签为 0 的样本推向类别 1。梯度下降沿代价梯度的反方向走；用梯度上升"
        "最大化对数似然是同一步，因为对数似然就是代价取负。在课程的猫图片上（2000 次迭代，学习率 "
        "0.005），训练准确率达到 99%，测试准确率只有 70%：模型记住了 209 张 12288 像素的图片。"),
    "ng-logistic.digit": "数字",
    "ng-logistic.standin": "手写数字 {pos} 对 {neg}",
    "ng-logistic.n_classes": "{n} 个类别",
    "ng-logistic.numeric": "数值型目标",
    "ng-logistic.not_binary": "--data {source}：逻辑回归需要两个类别；它有{what}",
    "ng-logistic.no_test_split": "{source} 没有测试集：按类别分层取其中 20%（种子 0）",
    "ng-logistic.data": "数据：{name}；类别 0 = {c0!r}，1 = {c1!r}",
    "ng-logistic.shapes": ("train_set_x：{x}（每列是一张展开的图片），train_set_y：{y}；"
                           "测试集：{m_test} 个样本；{m} 个训练标签中有 {ones} 个为 1"),
    "ng-logistic.h.pass": "== 1. 矢量化的前向与反向传播，与 autograd 对照 ==",
    "ng-logistic.grad_check": "在一个随机的 w 处：代价 {cost:.6f}；手写的 dw、db 与 autograd 的最大差异 {diff:.2g}",
    "ng-logistic.ascent": "在对数似然 −J 上做一步梯度上升，与在 J 上做一步梯度下降，得到相同的 w（最大差异 {diff:.2g}）",
    "ng-logistic.h.graph": "== 2. 一个样本的计算图：前向与反向 ==",
    "ng-logistic.graph_forward": (
        "一个样本 x = ({x1:g}, {x2:g})，y = {y:g}，参数 w = ({w1:g}, {w2:g})，b = {b:g}："
        "前向 z = w₁x₁ + w₂x₂ + b = {z:.6f}，a = σ(z) = {a:.6f}，"
        "L = −[y log a + (1 − y) log(1 − a)] = {loss:.6f}"),
    "ng-logistic.graph_backward": (
        "反向，按链式法则从右到左：∂L/∂a = {da:.6f}，∂L/∂z = a − y = {dz:.6f}，"
        "∂L/∂w₁ = x₁·∂L/∂z = {dw1:.6f}，∂L/∂w₂ = x₂·∂L/∂z = {dw2:.6f}，∂L/∂b = {db:.6f}"
        "（gdlab 的 manual 引擎；与 autograd 相差 {diff:.2g}）；图见 ng-graph.png"),
    "ng-logistic.h.train": "== 3. 训练：{iterations} 次迭代，学习率 {lr}，交叉熵 ==",
    "ng-logistic.library": (
        "gdlab.train(LogisticRegression, optimizer='gd') 用默认的快速引擎得到相同的参数（最大差异 "
        "{diff:.2g}），测试准确率 {acc:g} %"),
    "ng-logistic.h.losses": "== 4. sigmoid 输出上的平方误差与交叉熵 ==",
    "ng-logistic.sign_run": (
        "改为最小化笔记里的公式（从 w = 0 开始 {iterations} 次迭代），所有预测都被推向类别 1："
        "训练准确率 {acc:.2f} %（标签中有 {share:.2f} % 为 1），它的代价为 {cost:.4f}，而且还在下降。"),
    "ng-logistic.one_example": "一个标签 y = 1 的样本（z < 0：预测错误）：",
    "ng-logistic.col.ce": "CE 损失",
    "ng-logistic.col.se": "SE 损失",
    "ng-logistic.from_zero": "从 w = 0 开始（每个预测都是 0.5），{iterations} 次迭代：",
    "ng-logistic.name.ce": "交叉熵",
    "ng-logistic.name.se": "平方误差",
    "ng-logistic.acc_line": "  {name} 训练准确率 {train:.2f} %，测试准确率 {test:.2f} %",
    "ng-logistic.wrong_start": "从一个自信地错误的起点开始（w, b = 训练结果的 −2 倍：训练准确率 {acc:.2f} %），{iterations} 次迭代：",
    "ng-logistic.erratum.threshold": (
        "笔记把 b 称为“阈值”。b 是偏置，即 z = wᵀx + b 的截距；预测在 z > 0 处变为类别 1，也就是 "
        "wᵀx > −b 处。这里训练得到 b = {b:.4f}，所以 wᵀx 的阈值是 −b = {minus_b:.4f}，而不是 b。"),
    "ng-logistic.erratum.sign": (
        "笔记把交叉熵写成 −y log ŷ + (1 − y) log(1 − ŷ)：第二项的符号写反了。对一个 y = 0 的样本，"
        "ŷ = 0.9（错误）时它的损失是 {wrong:.6f}，ŷ = 0.1（正确）时是 {right:.6f}：错误答案的损失"
        "反而更低，而且没有下界。交叉熵 −[y log ŷ + (1 − y) log(1 − ŷ)] 给出 {true_wrong:.6f} 和 "
        "{true_right:.6f}。"),
    "ng-logistic.fig.cost_title": "每次迭代的代价：在 {name} 上比较交叉熵与平方误差，学习率 {lr}",
    "ng-logistic.fig.acc_title": "训练准确率：在 {name} 上比较交叉熵与平方误差，学习率 {lr}",
    "ng-logistic.fig.iteration": "迭代次数（在全部样本上走一步梯度）",
    "ng-logistic.fig.from_zero": "从 w = 0 开始",
    "ng-logistic.fig.from_wrong": "从一个自信地错误的 w 开始",
    "ng-logistic.fig.cost_y": "代价（训练集上损失的平均）",
    "ng-logistic.fig.acc_y": "训练准确率（%）",
    "ng-logistic.fig.ce_cost": "交叉熵代价 −mean[y log a + (1−y) log(1−a)]",
    "ng-logistic.fig.se_cost": "平方误差代价 mean ½(a − y)²",
    "ng-logistic.fig.dz_title": "一个样本的 ∂loss/∂z，y = 1",
    "ng-logistic.fig.ce_dz": "交叉熵：a − y",
    "ng-logistic.fig.se_dz": "平方误差：(a − y)·a(1 − a)",
    "ng-logistic.fig.boundary": "{name} 的测试样本与训练好的逻辑回归",
    "ng-logistic.fig.graph_title": "逻辑回归在一个样本上的计算图",
    "ng-logistic.fig.graph_sub": "每个方框：它的公式、前向传播算出的值（黑色）和反向传播算出的梯度 ∂L/∂节点（红色）",
    "ng-logistic.fig.red": "红色通道",
    "ng-logistic.fig.green": "绿色通道",
    "ng-logistic.fig.blue": "蓝色通道",
    "ng-logistic.fig.grey": "单个灰度通道（8 x 8 像素）",
    "ng-logistic.fig.weight_bar": "权重（红色：该像素越亮越推向类别 1）",
    "ng-logistic.fig.weights_title_grey": "学到的权重 w 画成图像（{name}）",
    "ng-logistic.fig.weights_title": "学到的权重 w 画成图像，每个颜色通道一张（{name}）",
}
