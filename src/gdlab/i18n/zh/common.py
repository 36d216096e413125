"""每个课程在自身输出前后打印的内容，以及 ``gdlab lesson list``。"""

MESSAGES = {
    "lesson.showed": "这个实验说明了什么：",
    "lesson.figures_saved": "图已保存到 {folder}：",
    "lesson.erratum": "笔记有误：",
    "lesson.no_data": "课程 {name} 使用笔记自己的数据，不接受 --data",
    "lesson.unknown": "没有名为 {name!r} 的课程{hint}；可用的课程：{known}",
    "lesson.did_you_mean": "（是否想输入 {name!r}？）",
    "lesson.list_footer": ("运行一个课程：`gdlab lesson 名称 [--out 文件夹] [--lang zh|en]`；"
                           "ng-logistic 还可以用 --data train_catvnoncat.h5。"),
}
