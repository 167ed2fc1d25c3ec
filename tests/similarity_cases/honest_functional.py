import numpy as np


def perceptron_predict(X, w, b):
    return np.array([1 if float(np.dot(x, w)) + b >= 0 else -1 for x in X])


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    state = {"w": np.zeros(len(X[0])), "b": 0.0, "n": 0}

    def visit(x, t):
        if t * (np.dot(state["w"], x) + state["b"]) > 0:
            return False
        state["w"] = state["w"] + lr * t * x
        state["b"] += lr * t
        state["n"] += 1
        return True

    for _ in range(max_epochs):
        if not any([visit(x, t) for x, t in zip(X, y)]):
            break
    return state["w"], float(state["b"]), state["n"]


def mistake_bound(X, y, w, b):
    full_w = list(w) + [b]
    scale = np.sqrt(sum(v ** 2 for v in full_w))
    points = [list(x) + [1.0] for x in X]
    gamma = min(t * np.dot(p, full_w) / scale for p, t in zip(points, y))
    if not gamma > 0:
        raise ValueError("no positive margin: this (w, b) is not a separating hyperplane")
    R = max(np.sqrt(np.dot(p, p)) for p in points)
    return float((R / gamma) ** 2)


def rbf_kernel(A, B, gamma):
    return np.array([[np.exp(-gamma * np.dot(a - q, a - q)) for q in B] for a in A])


def polynomial_kernel(A, B, degree, c=1.0):
    return np.array([[(np.dot(a, q) + c) ** degree for q in B] for a in A])


def kernel_perceptron_train(X, y, kernel, max_epochs=100):
    K = kernel(X, X)
    counts = [0] * len(X)
    for _ in range(max_epochs):
        missed = [i for i in range(len(X)) if False]
        for i in range(len(X)):
            f = sum(counts[j] * y[j] * K[j][i] for j in range(len(X)))
            if y[i] * f <= 0:
                counts[i] += 1
                missed.append(i)
        if not missed:
            break
    return np.array(counts, dtype=int)


def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
    weights = [a * t for a, t in zip(alpha, y_train)]
    K = kernel(X, X_train)
    return np.array([1 if np.dot(row, weights) >= 0 else -1 for row in K])


def perceptron_criterion(X, y, w, b):
    terms = [(t * (np.dot(w, x) + b), x, t) for x, t in zip(X, y)]
    counted = [(m, x, t) for m, x, t in terms if m <= 0]
    loss = sum(-m for m, _, _ in counted)
    dw = sum((-t * x for _, x, t in counted), np.zeros(len(w)))
    db = sum(-t for _, _, t in counted)
    return float(loss), np.asarray(dw, dtype=float), float(db)
