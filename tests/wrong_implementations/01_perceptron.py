"""Wrong implementations for notebook 01 (perceptron); see __init__.py for how they are used."""

import numpy as np

from wrong_implementations import breaks

# --- perceptron_predict -------------------------------------------------------------------------


@breaks("perceptron_predict", cell="test_perceptron_predict")
def predict_with_np_sign(X, w, b):
    """np.sign gives 0 for a score of exactly 0 instead of +1."""
    return np.sign(X @ w + b).astype(int)


@breaks("perceptron_predict", cell="test_perceptron_predict")
def predict_zero_is_negative(X, w, b):
    """Strict inequality: a score of exactly 0 predicts -1."""
    return np.where(X @ w + b > 0, 1, -1)


@breaks("perceptron_predict", cell="test_perceptron_predict")
def predict_without_bias(X, w, b):
    """Forgets the bias."""
    return np.where(X @ w >= 0, 1, -1)


@breaks("perceptron_predict", cell="test_perceptron_predict")
def predict_column_vector(X, w, b):
    """Returns shape (N, 1) instead of (N,)."""
    return np.where(X @ w[:, None] + b >= 0, 1, -1)


@breaks("perceptron_predict", cell="test_perceptron_predict")
def predict_hard_coded_example(X, w, b):
    """Returns the visible example's answer whatever the input."""
    return np.array([-1, -1, 1])[: len(X)]


# --- perceptron_train ---------------------------------------------------------------------------


@breaks("perceptron_train", cell="test_perceptron_train")
def train_strict_mistake_condition(X, y, lr=1.0, max_epochs=100):
    """Updates only when y (w.x + b) < 0: never leaves w = 0."""
    w, b, n = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        k = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) < 0:
                w, b, k = w + lr * y_i * x_i, b + lr * y_i, k + 1
        n += k
        if k == 0:
            break
    return w, b, n


@breaks("perceptron_train", cell="test_perceptron_train")
def train_without_bias(X, y, lr=1.0, max_epochs=100):
    """Never updates the bias."""
    w, b, n = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        k = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:
                w, k = w + lr * y_i * x_i, k + 1
        n += k
        if k == 0:
            break
    return w, b, n


@breaks("perceptron_train", cell="test_perceptron_train")
def train_shuffled_order(X, y, lr=1.0, max_epochs=100):
    """Visits the examples in a random order each epoch."""
    shuffle = np.random.default_rng(0)
    w, b, n = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        k = 0
        for i in shuffle.permutation(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w, b, k = w + lr * y[i] * X[i], b + lr * y[i], k + 1
        n += k
        if k == 0:
            break
    return w, b, n


@breaks("perceptron_train", cell="test_perceptron_train")
def train_counts_epochs(X, y, lr=1.0, max_epochs=100):
    """Counts epochs with mistakes instead of updates."""
    w, b, n = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        k = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:
                w, b, k = w + lr * y_i * x_i, b + lr * y_i, k + 1
        n += 1 if k else 0
        if k == 0:
            break
    return w, b, n


@breaks("perceptron_train", cell="test_perceptron_train")
def train_lr_only_on_w(X, y, lr=1.0, max_epochs=100):
    """Scales the w update by lr but not the b update."""
    w, b, n = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        k = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:
                w, b, k = w + lr * y_i * x_i, b + y_i, k + 1
        n += k
        if k == 0:
            break
    return w, b, n


@breaks("perceptron_train", cell="test_perceptron_train")
def train_one_epoch_short(X, y, lr=1.0, max_epochs=100):
    """Off by one: runs at most max_epochs - 1 epochs."""
    w, b, n = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs - 1):
        k = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:
                w, b, k = w + lr * y_i * x_i, b + lr * y_i, k + 1
        n += k
        if k == 0:
            break
    return w, b, n


# --- mistake_bound ------------------------------------------------------------------------------


@breaks("mistake_bound", cell="test_mistake_bound")
def bound_not_augmented(X, y, w, b):
    """Uses ||x|| for R instead of the norm of (x, 1)."""
    R = np.max(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w + b)) / np.linalg.norm(np.append(w, b))
    if gamma <= 0:
        raise ValueError("not separable")
    return float((R / gamma) ** 2)


@breaks("mistake_bound", cell="test_mistake_bound")
def bound_unnormalised_margin(X, y, w, b):
    """Forgets to divide the margin by ||(w, b)||."""
    R = np.max(np.linalg.norm(np.hstack([X, np.ones((len(X), 1))]), axis=1))
    gamma = np.min(y * (X @ w + b))
    if gamma <= 0:
        raise ValueError("not separable")
    return float((R / gamma) ** 2)


@breaks("mistake_bound", cell="test_mistake_bound")
def bound_normalised_by_w_only(X, y, w, b):
    """Divides the margin by ||w|| instead of ||(w, b)||."""
    R = np.max(np.linalg.norm(np.hstack([X, np.ones((len(X), 1))]), axis=1))
    gamma = np.min(y * (X @ w + b)) / np.linalg.norm(w)
    if gamma <= 0:
        raise ValueError("not separable")
    return float((R / gamma) ** 2)


@breaks("mistake_bound", cell="test_mistake_bound")
def bound_not_squared(X, y, w, b):
    """Returns R / gamma instead of its square."""
    X_aug, w_aug = np.hstack([X, np.ones((len(X), 1))]), np.append(w, b)
    gamma = np.min(y * (X_aug @ w_aug)) / np.linalg.norm(w_aug)
    if gamma <= 0:
        raise ValueError("not separable")
    return float(np.max(np.linalg.norm(X_aug, axis=1)) / gamma)


@breaks("mistake_bound", cell="test_mistake_bound")
def bound_never_raises(X, y, w, b):
    """Returns a (meaningless) number for non-separating (w, b) instead of raising ValueError."""
    X_aug, w_aug = np.hstack([X, np.ones((len(X), 1))]), np.append(w, b)
    gamma = np.min(y * (X_aug @ w_aug)) / np.linalg.norm(w_aug)
    return float((np.max(np.linalg.norm(X_aug, axis=1)) / gamma) ** 2)


@breaks("mistake_bound", cell="test_mistake_bound")
def bound_accepts_zero_margin(X, y, w, b):
    """Raises only for a negative margin: a point on the boundary (gamma = 0) gives an infinite bound."""
    X_aug, w_aug = np.hstack([X, np.ones((len(X), 1))]), np.append(w, b)
    gamma = np.min(y * (X_aug @ w_aug)) / np.linalg.norm(w_aug)
    if gamma < 0:
        raise ValueError("(w, b) does not separate the data")
    with np.errstate(divide="ignore"):
        return float((np.max(np.linalg.norm(X_aug, axis=1)) / gamma) ** 2)


# --- rbf_kernel ---------------------------------------------------------------------------------


@breaks("rbf_kernel", cell="test_rbf_kernel")
def rbf_unsquared_distance(A, B, beta):
    """Uses the distance, not the squared distance."""
    sq = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2 * A @ B.T
    return np.exp(-beta * np.sqrt(np.maximum(sq, 0)))


@breaks("rbf_kernel", cell="test_rbf_kernel")
def rbf_divides_by_beta(A, B, beta):
    """exp(-d^2 / beta): beta read as a width instead of an inverse width."""
    sq = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2 * A @ B.T
    return np.exp(-np.maximum(sq, 0) / beta)


@breaks("rbf_kernel", cell="test_rbf_kernel")
def rbf_transposed(A, B, beta):
    """Returns the (P, M) matrix instead of (M, P)."""
    sq = np.sum(A**2, 1)[None, :] + np.sum(B**2, 1)[:, None] - 2 * B @ A.T
    return np.exp(-beta * np.maximum(sq, 0))


@breaks("rbf_kernel", cell="test_rbf_kernel")
def rbf_no_clipping(A, B, beta):
    """Lets round-off produce negative squared distances (kernel values above 1)."""
    sq = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2 * A @ B.T
    return np.exp(-beta * sq)


# --- polynomial_kernel --------------------------------------------------------------------------


@breaks("polynomial_kernel", cell="test_polynomial_kernel")
def poly_ignores_offset(A, B, degree, c=1.0):
    """Drops the offset c."""
    return (A @ B.T) ** degree


@breaks("polynomial_kernel", cell="test_polynomial_kernel")
def poly_offset_outside_power(A, B, degree, c=1.0):
    """Adds c after taking the power."""
    return (A @ B.T) ** degree + c


@breaks("polynomial_kernel", cell="test_polynomial_kernel")
def poly_default_offset_zero(A, B, degree, c=0.0):
    """Default offset 0 instead of 1."""
    return (A @ B.T + c) ** degree


@breaks("polynomial_kernel", cell="test_polynomial_kernel")
def poly_multiplies_by_degree(A, B, degree, c=1.0):
    """Multiplies by the degree instead of raising to it."""
    return (A @ B.T + c) * degree


# --- kernel_perceptron_train --------------------------------------------------------------------


@breaks("kernel_perceptron_train", cell="test_kernel_perceptron_train")
def kp_strict_mistake_condition(X, y, kernel, max_epochs=100):
    """Counts a mistake only when the score has the wrong sign (< 0): nothing is ever learnt."""
    gram, alpha = kernel(X, X), np.zeros(len(X), dtype=int)
    for _ in range(max_epochs):
        clean = True
        for i in range(len(X)):
            if y[i] * np.sum(alpha * y * gram[:, i]) < 0:
                alpha[i] += 1
                clean = False
        if clean:
            break
    return alpha


@breaks("kernel_perceptron_train", cell="test_kernel_perceptron_train")
def kp_forgets_labels(X, y, kernel, max_epochs=100):
    """Scores with sum_j alpha_j K_ji, forgetting y_j."""
    gram, alpha = kernel(X, X), np.zeros(len(X), dtype=int)
    for _ in range(max_epochs):
        clean = True
        for i in range(len(X)):
            if y[i] * np.sum(alpha * gram[:, i]) <= 0:
                alpha[i] += 1
                clean = False
        if clean:
            break
    return alpha


@breaks("kernel_perceptron_train", cell="test_kernel_perceptron_train")
def kp_flags_instead_of_counts(X, y, kernel, max_epochs=100):
    """Sets alpha_i = 1 on a mistake instead of incrementing it."""
    gram, alpha = kernel(X, X), np.zeros(len(X), dtype=int)
    for _ in range(max_epochs):
        clean = True
        for i in range(len(X)):
            if y[i] * np.sum(alpha * y * gram[:, i]) <= 0:
                alpha[i] = 1
                clean = False
        if clean:
            break
    return alpha


@breaks("kernel_perceptron_train", cell="test_kernel_perceptron_train")
def kp_batch_updates(X, y, kernel, max_epochs=100):
    """Updates all mistakes of an epoch at once (batch), not one example at a time."""
    gram, alpha = kernel(X, X), np.zeros(len(X), dtype=int)
    for _ in range(max_epochs):
        wrong = y * (gram.T @ (alpha * y)) <= 0
        if not wrong.any():
            break
        alpha = alpha + wrong
    return alpha


# --- kernel_perceptron_predict ------------------------------------------------------------------


@breaks("kernel_perceptron_predict", cell="test_kernel_perceptron_predict")
def kpp_zero_is_negative(X_train, y_train, alpha, kernel, X):
    """A score of exactly 0 predicts -1."""
    return np.where(kernel(X, X_train) @ (alpha * y_train) > 0, 1, -1)


@breaks("kernel_perceptron_predict", cell="test_kernel_perceptron_predict")
def kpp_forgets_labels(X_train, y_train, alpha, kernel, X):
    """Forgets the training labels in the score."""
    return np.where(kernel(X, X_train) @ alpha >= 0, 1, -1)


@breaks("kernel_perceptron_predict", cell="test_kernel_perceptron_predict")
def kpp_np_sign(X_train, y_train, alpha, kernel, X):
    """np.sign: a score of exactly 0 gives 0."""
    return np.sign(kernel(X, X_train) @ (alpha * y_train)).astype(int)


@breaks("kernel_perceptron_predict", cell="test_kernel_perceptron_predict")
def kpp_kernel_on_training_points(X_train, y_train, alpha, kernel, X):
    """Scores the training points instead of X (wrong kernel arguments)."""
    return np.where(kernel(X_train, X_train) @ (alpha * y_train) >= 0, 1, -1)


# --- perceptron_criterion -----------------------------------------------------------------------


@breaks("perceptron_criterion", cell="test_perceptron_criterion")
def criterion_mean(X, y, w, b):
    """Averages over the examples instead of summing."""
    margins = y * (X @ w + b)
    counted = margins <= 0
    n = len(X)
    return float(np.sum(np.maximum(0.0, -margins)) / n), -(y[counted] @ X[counted]) / n, float(-np.sum(y[counted]) / n)


@breaks("perceptron_criterion", cell="test_perceptron_criterion")
def criterion_ties_do_not_count(X, y, w, b):
    """The lecture's condition t f(x) < 0: subgradient 0 at the kink, so w = 0 never moves."""
    margins = y * (X @ w + b)
    counted = margins < 0
    return float(np.sum(np.maximum(0.0, -margins))), -(y[counted] @ X[counted]), float(-np.sum(y[counted]))


@breaks("perceptron_criterion", cell="test_perceptron_criterion")
def criterion_hinge(X, y, w, b):
    """The hinge loss max(0, 1 - y f(x)) instead of the perceptron criterion (a margin of 1)."""
    margins = y * (X @ w + b)
    counted = margins <= 1
    return float(np.sum(np.maximum(0.0, 1.0 - margins))), -(y[counted] @ X[counted]), float(-np.sum(y[counted]))


@breaks("perceptron_criterion", cell="test_perceptron_criterion")
def criterion_gradient_sign_flipped(X, y, w, b):
    """Returns the update direction +y x (the ascent direction) instead of the subgradient -y x."""
    margins = y * (X @ w + b)
    counted = margins <= 0
    return float(np.sum(np.maximum(0.0, -margins))), y[counted] @ X[counted], float(np.sum(y[counted]))


@breaks("perceptron_criterion", cell="test_perceptron_criterion")
def criterion_every_example_counts(X, y, w, b):
    """Sums -y x over all examples, not only the mistakes and ties."""
    margins = y * (X @ w + b)
    return float(np.sum(np.maximum(0.0, -margins))), -(y @ X), float(-np.sum(y))


@breaks("perceptron_criterion", cell="test_perceptron_criterion")
def criterion_without_bias(X, y, w, b):
    """Ignores the bias: scores w.x and db = 0."""
    margins = y * (X @ w)
    counted = margins <= 0
    return float(np.sum(np.maximum(0.0, -margins))), -(y[counted] @ X[counted]), 0.0


@breaks("perceptron_criterion", cell="test_perceptron_criterion")
def criterion_signs_folded_in_place(X, y, w, b):
    """Multiplies X by the labels in place to get y x: the caller's data changes."""
    X *= y[:, None]
    margins = X @ w + y * b
    counted = margins <= 0
    return float(np.sum(np.maximum(0.0, -margins))), -X[counted].sum(axis=0), float(-np.sum(y[counted]))
