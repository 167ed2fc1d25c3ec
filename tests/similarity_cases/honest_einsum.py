import numpy as np


def perceptron_predict(X, w, b):
    s = np.einsum("nd,d->n", X, w) + b
    return (2 * (s >= 0) - 1).astype(int)


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    W = np.zeros_like(X[0], dtype=float)
    B = 0.0
    mistakes = 0
    epochs_done = 0
    converged = False
    while not converged and epochs_done < max_epochs:
        converged = True
        idx = 0
        while idx < len(y):
            if y[idx] * (np.einsum("d,d->", W, X[idx]) + B) <= 0:
                W = W + lr * y[idx] * X[idx]
                B = B + lr * y[idx]
                mistakes += 1
                converged = False
            idx += 1
        epochs_done += 1
    return W, float(B), int(mistakes)


def mistake_bound(X, y, w, b):
    Xt = np.pad(X, ((0, 0), (0, 1)), constant_values=1.0)
    wt = np.r_[w, b]
    unit = wt / np.sqrt(np.einsum("i,i->", wt, wt))
    g = np.amin(y * np.einsum("nd,d->n", Xt, unit))
    if g <= 0:
        raise ValueError("(w, b) leaves a point on the wrong side or on the boundary")
    r2 = np.amax(np.einsum("nd,nd->n", Xt, Xt))
    return float(r2 / g ** 2)


def rbf_kernel(A, B, gamma):
    d2 = (np.einsum("md,md->m", A, A)[:, np.newaxis]
          - 2 * np.einsum("md,pd->mp", A, B)
          + np.einsum("pd,pd->p", B, B)[np.newaxis, :])
    d2[d2 < 0] = 0
    return np.exp(-gamma * d2)


def polynomial_kernel(A, B, degree, c=1.0):
    return np.power(np.einsum("md,pd->mp", A, B) + c, degree)


def kernel_perceptron_train(X, y, kernel, max_epochs=100):
    gram = kernel(X, X)
    counts = np.zeros(len(y), dtype=np.int64)
    for epoch in range(max_epochs):
        before = counts.sum()
        for i in range(len(y)):
            f = np.einsum("j,j,j->", counts, y, gram[:, i])
            counts[i] += int(y[i] * f <= 0)
        if counts.sum() == before:
            break
    return counts


def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
    f = np.einsum("mn,n->m", kernel(X, X_train), alpha * y_train)
    return (2 * (f >= 0) - 1).astype(int)


def perceptron_criterion(X, y, w, b):
    f = y * (np.einsum("nd,d->n", X, w) + b)
    mask = (f <= 0).astype(float)
    loss = np.einsum("n,n->", mask, -f)
    dw = -np.einsum("n,n,nd->d", mask, y, X)
    db = -np.einsum("n,n->", mask, y)
    return float(loss), dw, float(db)
