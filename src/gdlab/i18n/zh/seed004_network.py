"""笔记 004：一个小网络与 softmax 回归（``gdlab lesson seed004-network``）。"""

MESSAGES = {
    "seed004-network.title": "PyTorch 中的 4-10-1 sigmoid 网络与 softmax 回归（笔记 004）",
    "seed004-network.summary": "带 BCE 的 4→10→1 sigmoid 网络；正确的 softmax 回归与笔记中两次 softmax 的写法对比",
    "seed004-network.explanation": (
        "训练就是先前向、再反向：前向传播算出预测和损失，反向传播按链式法则从损失往回经过每一层"
        "（gdlab manual 引擎手写的反向传播与 autograd 一致），它只负责填好梯度，再由优化器沿梯度的"
        "反方向走一步。这里每个全批量的轮次就是一次迭代。对 softmax 回归，CrossEntropyLoss 本身已"
        "对原始输出（logits）做 log-softmax；先做一次 softmax 会把 0 到 1 之间的数喂给它，于是它打"
        "印的损失不会低于某个下限（3 个输出时为 0.551），也不是模型真正的交叉熵，而且多出的 "
        "softmax 会压缩梯度，训练更慢。对 2 类数据设 3 个输出，多出的是一个从不出现的类别：它只会"
        "学着让自己的概率趋近于 0。预测的类别几乎不变，所以准确率看起来差不多，但损失（以及概率）是错的：应"
        "把 logits 交给损失函数，每个类别一个输出。要看分类器学到了什么，应画出携带信号的特征：这"
        "里笔记画的 x1 和 x2 几乎不携带信号。"),
    "seed004-network.data": "数据：make_classification，{n} 行，{d} 个特征（2 个有信息量），类别 {classes}，random_state 42",
    "seed004-network.h.network": "== 1. 网络 4 -> 10 -> 1，sigmoid，BCELoss，SGD 学习率 {lr}，{epochs} 个全批量轮次 ==",
    "seed004-network.model": ("模型：Linear(4, 10) -> sigmoid -> Linear(10, 1) -> sigmoid，BCELoss"
                              "（gdlab 从 logit 一并计算 sigmoid 与 BCE，数值更稳定）"),
    "seed004-network.backprop_check": "手写的反向传播与 autograd 在起点处对比：梯度最大差异 {diff:.2g}",
    "seed004-network.h.right": "== 2a. 正确的 softmax 回归：Linear(4, 2)，把 logits 交给 CrossEntropyLoss ==",
    "seed004-network.h.notes": "== 2b. 笔记的写法：Linear(4, 3)，先 softmax，再 CrossEntropyLoss ==",
    "seed004-network.h.difference": "== 2c. {epochs} 轮之后的差别 ==",
    "seed004-network.col.variant": "写法",
    "seed004-network.col.printed": "打印的损失",
    "seed004-network.col.true": "真实交叉熵",
    "seed004-network.col.accuracy": "准确率",
    "seed004-network.variant.right: 2 outputs, logits": "正确：2 个输出，logits",
    "seed004-network.variant.3 outputs, logits": "3 个输出，logits",
    "seed004-network.variant.2 outputs, softmax first": "2 个输出，先 softmax",
    "seed004-network.variant.notes: 3 outputs, softmax first": "笔记：3 个输出，先 softmax",
    "seed004-network.floor": (
        "笔记写法打印的损失是 {printed:.4f}；3 个输出时先 softmax 再 CrossEntropyLoss 不可能低于 "
        "log(1 + 2/e) = {floor:.4f}"),
    "seed004-network.real": (
        "它真实的交叉熵是 {notes:.4f}，正确写法为 {right:.4f}；准确率 {notes_acc:.2f}% 对 {right_acc:.2f}%"),
    "seed004-network.library": (
        "gdlab.train(SoftmaxRegression(4, 2), loss='cross-entropy') 与正确写法的普通循环结果一致"
        "（参数最大差异 {diff:.2g}）"),
    "seed004-network.erratum.scatter": (
        "笔记按预测着色画出特征 0 和 1（x1、x2）的散点图，但在这份数据里这两个特征几乎不携带信号："
        "只用 x1、x2，让每一行的 {k} 个最近邻投票，只能判对 {notes:.1%} 的标签（其中 {share:.1f} % "
        "为 1，所以瞎猜也有 50 %）；用 {a}、{b} 做同样的投票能判对 {best:.1%}。make_classification "
        "会打乱特征列的顺序，所以 2 个有信息量的特征并不是前两个。seed004-scatter.png 画出了两种视角。"),
    "seed004-network.erratum.backprop": (
        "笔记把反向传播称为一种优化算法。它只计算梯度：loss.backward() 让参数移动了 {backward:g}；"
        "optimizer.step() 才移动参数（学习率 {lr:g} 下最大改变 {step:.3g}）。优化器（梯度下降）才"
        "是算法；反向传播是它得到梯度的方法。"),
    "seed004-network.erratum.sgd": (
        "笔记的注释把 torch.optim.SGD 称为随机梯度下降优化器，但这里每一步都用全部 {rows} 行："
        "{epochs} 轮 {updates} 次更新，这就是全批量梯度下降。"),
    "seed004-network.erratum.plt": (
        "笔记的代码调用了 plt.scatter 和 plt.show，却从未导入 matplotlib.pyplot as plt：网络程序打印"
        "完它的 {lines} 行（10 行损失和 1 行准确率）后因 NameError: name 'plt' is not defined 而停止，"
        "softmax 程序在打印 {softmax_lines} 行后停止。gdlab 把这些散点图画在 seed004-scatter.png 中。"),
    "seed004-network.erratum.linear": (
        "笔记把这个网络命名为 LinearNet，图题为 'Linear Classification'，但 sigmoid 隐藏层使它成为"
        "非线性的：在前两行的中点处它的 logit 是 {midpoint:.6f}，而线性（仿射）模型在那里会给出两个 "
        "logit 的平均值 {mean:.6f}。"),
    "seed004-network.fig.network_loss": "4-10-1 sigmoid 网络：BCE 损失与准确率，学习率 0.1",
    "seed004-network.fig.network_boundary": "4-10-1 sigmoid 网络：预测概率",
    "seed004-network.fig.softmax_boundary": "正确的 softmax 回归：预测概率",
    "seed004-network.fig.predicted": "预测为类别 {c}",
    "seed004-network.fig.model.network": "4-10-1 网络：正确率 {acc:.1%}",
    "seed004-network.fig.model.right": "正确的 softmax：正确率 {acc:.1%}",
    "seed004-network.fig.model.notes": "笔记的 softmax：正确率 {acc:.1%}",
    "seed004-network.fig.row_notes": "笔记的视角：{a} 和 {b}（特征 0 和 1）——在它们上做 {k} 近邻投票能判对 {acc:.1%}",
    "seed004-network.fig.row_signal": "信号所在：{a} 和 {b}——在它们上做 {k} 近邻投票能判对 {acc:.1%}",
    "seed004-network.fig.scatter_title": "各模型的预测：笔记的视角与有信息量的视角",
    "seed004-network.fig.floor": "先 softmax 的下限，{k} 个输出：{floor:.3f}",
    "seed004-network.fig.printed_title": "各写法打印的损失",
    "seed004-network.fig.printed_y": "CrossEntropyLoss 的值",
    "seed004-network.fig.accuracy_title": "准确率",
    "seed004-network.fig.accuracy_y": "准确率",
    "seed004-network.fig.softmax_title": "softmax 回归：把 logits 交给 CrossEntropyLoss 与先做 softmax 的对比",
}
