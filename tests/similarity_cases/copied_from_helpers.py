import numpy as np


def _sq_dists(P, Q):
    """||a - b||^2 for every pair, never negative."""
    inner = P.dot(Q.T)
    dd = (P * P).sum(axis=1).reshape(-1, 1) + (Q * Q).sum(axis=1).reshape(1, -1) - 2 * inner
    return np.clip(dd, 0, None)


def _pass_over_data(Z, labels, params, step):
    """One pass in order; returns the updated parameters and the number of updates."""
    n_upd = 0
    for row, t in zip(Z, labels):
        if t * row.dot(params) <= 0:
            params = params + step * t * row
            n_upd = n_upd + 1
    return params, n_upd


def _add_ones(M):
    """Append a constant 1 to every row, so that the bias becomes one more weight."""
    col = np.ones((M.shape[0], 1))
    return np.concatenate((M, col), axis=1)


def _to_labels(values):
    """sign(0) counts as +1."""
    out = np.ones(values.shape, dtype=int)
    out[values < 0] = -1
    return out


def perceptron_predict(X, w, b):
    return _to_labels(X.dot(w) + b)


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    Z = _add_ones(X)
    params = np.zeros(Z.shape[1])
    errs = 0
    for _ in range(max_epochs):
        params, n_upd = _pass_over_data(Z, y, params, lr)
        errs = errs + n_upd
        if n_upd == 0:
            break
    return params[:-1], float(params[-1]), errs


def mistake_bound(X, y, w, b):
    Z = _add_ones(X)
    params = np.hstack((w, b))
    geo = y * Z.dot(params) / np.sqrt(params.dot(params))
    g = geo.min()
    if g <= 0:
        raise ValueError(f"gamma = {g} <= 0: (w, b) does not separate the data")
    radius = np.sqrt((Z ** 2).sum(axis=1)).max()
    return float(radius ** 2 / g ** 2)


def rbf_kernel(A, B, gamma):
    return np.exp(-gamma * _sq_dists(A, B))


def polynomial_kernel(A, B, degree, c=1.0):
    s = A.dot(B.T) + c
    return np.power(s, degree)


def kernel_perceptron_train(X, y, kernel, max_epochs=100):
    G = kernel(X, X)
    a = np.zeros(len(y), dtype=int)
    for _ in range(max_epochs):
        wrong = 0
        for k in range(len(y)):
            s = G[k].dot(a * y)
            if y[k] * s <= 0:
                a[k] = a[k] + 1
                wrong = wrong + 1
        if wrong == 0:
            break
    return a


def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
    s = kernel(X, X_train).dot(alpha * y_train)
    return _to_labels(s)


def perceptron_criterion(X, y, w, b):
    m = y * (X.dot(w) + b)
    bad = m <= 0
    total = -m[bad].sum()
    gw = -(X[bad] * y[bad].reshape(-1, 1)).sum(axis=0)
    gb = -y[bad].sum()
    return float(total), gw.astype(float), float(gb)
