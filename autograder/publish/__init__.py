"""What the course publishes from ``solutions/``: release (the student notebooks in ``notebooks/``),
render (lecture pages, executed), bundle (the student bundle: notebooks and notebook_helpers).

May import ``course``, ``kernel`` (the executor) and ``notebook_helpers``.
"""
