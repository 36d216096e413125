"""What every lesson prints around its own output, and ``gdlab lesson list``."""

MESSAGES = {
    "lesson.showed": "What this showed:",
    "lesson.figures_saved": "figures saved in {folder}:",
    "lesson.erratum": "notes error:",
    "lesson.no_data": "lesson {name} runs on the notes' own data; it takes no --data",
    "lesson.unknown": "unknown lesson {name!r}{hint}; lessons: {known}",
    "lesson.did_you_mean": " (did you mean {name!r}?)",
    "lesson.list_footer": ("Run one with `gdlab lesson NAME [--out DIR] [--lang zh|en]`; "
                           "ng-logistic also takes --data train_catvnoncat.h5."),
}
