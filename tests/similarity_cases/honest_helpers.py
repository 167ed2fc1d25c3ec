import numpy as np


def _sign_with_zero_positive(scores):
    """sign(0) counts as +1."""
    labels = np.ones(scores.shape, dtype=int)
    labels[scores < 0] = -1
    return labels


def _augment(features):
    """Append a constant 1 to every row, so that the bias becomes one more weight."""
    ones = np.ones((features.shape[0], 1))
    return np.concatenate((features, ones), axis=1)


def perceptron_predict(X, w, b):
    return _sign_with_zero_positive(X.dot(w) + b)


def _one_epoch(X_aug, y, theta, lr):
    """One pass in order; returns the updated parameters and the number of updates."""
    updates = 0
    for features, label in zip(X_aug, y):
        if label * features.dot(theta) <= 0:
            theta = theta + lr * label * features
            updates = updates + 1
    return theta, updates


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    X_aug = _augment(X)
    theta = np.zeros(X_aug.shape[1])
    mistakes = 0
    for _ in range(max_epochs):
        theta, updates = _one_epoch(X_aug, y, theta, lr)
        mistakes = mistakes + updates
        if updates == 0:
            break
    return theta[:-1], float(theta[-1]), mistakes


def mistake_bound(X, y, w, b):
    X_aug = _augment(X)
    theta = np.hstack((w, b))
    geometric = y * X_aug.dot(theta) / np.sqrt(theta.dot(theta))
    gamma = geometric.min()
    if gamma <= 0:
        raise ValueError(f"gamma = {gamma} <= 0: (w, b) does not separate the data")
    R = np.sqrt((X_aug ** 2).sum(axis=1)).max()
    return float(R ** 2 / gamma ** 2)


def _squared_distances(A, B):
    """||a - b||^2 for every pair, never negative."""
    cross = A.dot(B.T)
    sq = (A * A).sum(axis=1).reshape(-1, 1) + (B * B).sum(axis=1).reshape(1, -1) - 2 * cross
    return np.clip(sq, 0, None)


def rbf_kernel(A, B, gamma):
    return np.exp(-gamma * _squared_distances(A, B))


def polynomial_kernel(A, B, degree, c=1.0):
    base = A.dot(B.T) + c
    return np.power(base, degree)


def kernel_perceptron_train(X, y, kernel, max_epochs=100):
    gram = kernel(X, X)
    alpha = np.zeros(len(y), dtype=int)
    for _ in range(max_epochs):
        mistakes = 0
        for i in range(len(y)):
            score = gram[i].dot(alpha * y)
            if y[i] * score <= 0:
                alpha[i] = alpha[i] + 1
                mistakes = mistakes + 1
        if mistakes == 0:
            break
    return alpha


def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
    scores = kernel(X, X_train).dot(alpha * y_train)
    return _sign_with_zero_positive(scores)


def perceptron_criterion(X, y, w, b):
    margins = y * (X.dot(w) + b)
    wrong = margins <= 0
    loss = -margins[wrong].sum()
    dw = -(X[wrong] * y[wrong].reshape(-1, 1)).sum(axis=0)
    db = -y[wrong].sum()
    return float(loss), dw.astype(float), float(db)
