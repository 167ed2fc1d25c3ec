import numpy as np


def perceptron_predict(X, w, b):
    n = X.shape[0]
    labels = np.empty(n, dtype=int)
    for row in range(n):
        activation = 0.0
        for col in range(X.shape[1]):
            activation = activation + X[row, col] * w[col]
        activation = activation + b
        if activation >= 0:
            labels[row] = 1
        else:
            labels[row] = -1
    return labels


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    n, d = X.shape
    w_cur = [0.0] * d
    b_cur = 0.0
    count = 0
    epoch = 0
    while epoch < max_epochs:
        clean = True
        for row in range(n):
            s = b_cur
            for col in range(d):
                s += w_cur[col] * X[row, col]
            if y[row] * s <= 0:
                for col in range(d):
                    w_cur[col] += lr * y[row] * X[row, col]
                b_cur += lr * y[row]
                count += 1
                clean = False
        if clean:
            break
        epoch += 1
    return np.array(w_cur, dtype=float), float(b_cur), count


def mistake_bound(X, y, w, b):
    norm_w = (sum(v * v for v in w) + b * b) ** 0.5
    biggest = 0.0
    smallest = None
    for row in range(X.shape[0]):
        length = (sum(v * v for v in X[row]) + 1.0) ** 0.5
        biggest = max(biggest, length)
        dist = y[row] * (sum(X[row, k] * w[k] for k in range(len(w))) + b) / norm_w
        if smallest is None or dist < smallest:
            smallest = dist
    if smallest <= 0:
        raise ValueError("the hyperplane misclassifies a point, so there is no positive margin")
    return float((biggest / smallest) ** 2)


def rbf_kernel(A, B, gamma):
    out = np.zeros((A.shape[0], B.shape[0]))
    for i in range(A.shape[0]):
        for j in range(B.shape[0]):
            d2 = 0.0
            for k in range(A.shape[1]):
                d2 += (A[i, k] - B[j, k]) ** 2
            out[i, j] = np.exp(-gamma * d2)
    return out


def polynomial_kernel(A, B, degree, c=1.0):
    out = np.zeros((A.shape[0], B.shape[0]))
    for i in range(A.shape[0]):
        for j in range(B.shape[0]):
            out[i, j] = (np.dot(A[i], B[j]) + c) ** degree
    return out


def kernel_perceptron_train(X, y, kernel, max_epochs=100):
    n = len(y)
    gram = kernel(X, X)
    counts = np.zeros(n, dtype=int)
    for _ in range(max_epochs):
        updated = 0
        for i in range(n):
            total = 0.0
            for j in range(n):
                total += counts[j] * y[j] * gram[j, i]
            if y[i] * total <= 0:
                counts[i] = counts[i] + 1
                updated += 1
        if updated == 0:
            break
    return counts


def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
    gram = kernel(X_train, X)
    result = []
    for col in range(X.shape[0]):
        total = 0.0
        for row in range(X_train.shape[0]):
            total += alpha[row] * y_train[row] * gram[row, col]
        result.append(1 if total >= 0 else -1)
    return np.array(result)


def perceptron_criterion(X, y, w, b):
    loss = 0.0
    grad_w = np.zeros(X.shape[1])
    grad_b = 0.0
    for i in range(X.shape[0]):
        z = y[i] * (np.dot(w, X[i]) + b)
        if z <= 0:
            loss -= z
            grad_w -= y[i] * X[i]
            grad_b -= y[i]
    return float(loss), grad_w, float(grad_b)
