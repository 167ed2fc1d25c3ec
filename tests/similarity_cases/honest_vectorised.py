import numpy as np


def perceptron_predict(X, w, b):
    return np.where(X @ w + b >= 0, 1, -1)


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    weights = np.zeros(X.shape[1])
    bias = 0.0
    total = 0
    for epoch in range(max_epochs):
        errors = 0
        for i in range(X.shape[0]):
            if y[i] * (X[i] @ weights + bias) <= 0:
                weights += lr * y[i] * X[i]
                bias += lr * y[i]
                errors += 1
        total += errors
        if not errors:
            break
    return weights, float(bias), total


def mistake_bound(X, y, w, b):
    Xa = np.column_stack([X, np.ones(len(X))])
    wa = np.concatenate([w, [b]])
    margin = (y * (Xa @ wa)).min() / np.linalg.norm(wa)
    if margin <= 0:
        raise ValueError("not a separator: margin <= 0")
    radius = np.linalg.norm(Xa, axis=1).max()
    return float((radius / margin) ** 2)


def rbf_kernel(A, B, gamma):
    diff = A[:, None, :] - B[None, :, :]
    return np.exp(-gamma * np.sum(diff ** 2, axis=-1))


def polynomial_kernel(A, B, degree, c=1.0):
    return (A @ B.T + c) ** degree


def kernel_perceptron_train(X, y, kernel, max_epochs=100):
    K = kernel(X, X)
    alpha = np.zeros(X.shape[0], dtype=int)
    for epoch in range(max_epochs):
        changed = False
        for j in range(X.shape[0]):
            if y[j] * ((alpha * y) @ K[:, j]) <= 0:
                alpha[j] += 1
                changed = True
        if not changed:
            break
    return alpha


def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
    return np.where(kernel(X, X_train) @ (alpha * y_train) >= 0, 1, -1)


def perceptron_criterion(X, y, w, b):
    m = y * (X @ w + b)
    active = m <= 0
    loss = float(np.sum(-m[active]))
    dw = -(y[active, None] * X[active]).sum(axis=0).astype(float)
    db = -float(y[active].sum())
    return loss, dw, db
