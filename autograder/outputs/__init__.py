"""What grading results become: feedback (page per notebook, terminal table), report (the class
report), similarity (pairs of alike submissions), exports (Canvas and Moodle gradebook files),
files (the results folder's names, atomic writes). Templates in ``templates/``.

May import ``course`` and ``grading`` (results, submissions); never ``class_grading``.
"""
