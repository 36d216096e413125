"""``gdlab compare``、``gdlab sweep`` 和 ``gdlab surface``：运行时的输出和最后的表格。"""

MESSAGES = {
    "exp.status.ok": "正常",
    "exp.status.diverged": "在第 {epoch} 轮发散",
    "exp.status.refused": "未运行：{why}",
    "compare.headline": ("在 {data} 上用 {optimizer} 训练（学习率 {lr}，{epochs} 轮，{dtype}，"
                         "种子 {seed}），依次通过 {n} 个引擎……"),
    "compare.h.engine": "引擎",
    "compare.h.final_loss": "最终损失",
    "compare.h.diff": "与 {ref} 的最大 |Δθ|",
    "compare.h.seconds": "秒/轮",
    "compare.h.speed": "相对最慢者的速度",
    "compare.h.status": "状态",
    "compare.seconds_note": "秒数是在这台机器上测得的，每次运行都会不同。",
    "exp.written": "表格已写入 {path}",
    "sweep.headline": "在 {data} 上比较 {n} 个学习率（{optimizer}，{epochs} 轮）：",
    "sweep.progress": "  学习率 {lr:<10g} 最终训练损失 {loss:<12.6g} {status}",
    "sweep.h.lr": "学习率",
    "sweep.h.train": "最终训练损失",
    "sweep.h.val": "最终验证损失",
    "sweep.best": "← 最佳",
    "sweep.title": "{data} 上的学习率比较（{optimizer}，{epochs} 轮）",
    "exp.figure": "图：{path}",
    "surface.headline": "{data}（{n} 行）上的路径，学习率 {lr}，{epochs} 轮：",
    "surface.progress": "  {label} {updates:>6} 次更新   最终损失 {loss:<12.6g}{status}",
    "surface.animation": "动画：{path}（{frames} 帧，每个记录的步骤一帧）",
}
