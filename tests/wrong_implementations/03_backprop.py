"""Wrong implementations for notebook 03 (backpropagation); see __init__.py for how they are used.

They run in the notebook's namespace, so they may use ``torch`` and the notebook's own layer
functions (``linear_forward``, ``relu_backward``, ...), which ruff cannot see from here.
"""

# ruff: noqa: F821

import numpy as np

from wrong_implementations import breaks

# --- numerical_gradient ---------------------------------------------------------------------------


@breaks("numerical_gradient", cell="test_numerical_gradient")
def ng_forward_difference(f, x, h=1e-5):
    """Forward differences (f(x + h) - f(x)) / h: only first-order accurate."""
    grad, base = np.zeros_like(x), f(x)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + h
        grad[k] = (f(x) - base) / h
        x[k] = old
    return grad


@breaks("numerical_gradient", cell="test_numerical_gradient")
def ng_divides_by_h(f, x, h=1e-5):
    """Centred difference divided by h instead of 2h."""
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + h
        plus = f(x)
        x[k] = old - h
        minus = f(x)
        x[k] = old
        grad[k] = (plus - minus) / h
    return grad


@breaks("numerical_gradient", cell="test_numerical_gradient")
def ng_does_not_restore(f, x, h=1e-5):
    """Perturbs x in place and never restores it (every entry ends up at x - h)."""
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        x[k] += h
        plus = f(x)
        x[k] -= 2 * h
        minus = f(x)
        grad[k] = (plus - minus) / (2 * h)
    return grad


@breaks("numerical_gradient", cell="test_numerical_gradient")
def ng_flattened_result(f, x, h=1e-5):
    """Returns the gradient flattened to shape (x.size,)."""
    grad = np.zeros(x.size)
    for i, k in enumerate(np.ndindex(x.shape)):
        old = x[k]
        x[k] = old + h
        plus = f(x)
        x[k] = old - h
        minus = f(x)
        x[k] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


@breaks("numerical_gradient", cell="test_numerical_gradient")
def ng_flattens_input(f, x, h=1e-5):
    """Calls f with a flattened copy of x (f may depend on the shape)."""
    flat, grad = x.ravel().copy(), np.zeros(x.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(flat)
        flat[i] = old - h
        minus = f(flat)
        flat[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad.reshape(x.shape)


@breaks("numerical_gradient", cell="test_numerical_gradient")
def ng_ignores_h(f, x, h=1e-5):
    """Uses a hard-coded step of 1e-6 whatever h is."""
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + 1e-6
        plus = f(x)
        x[k] = old - 1e-6
        minus = f(x)
        x[k] = old
        grad[k] = (plus - minus) / 2e-6
    return grad


# --- relative_error -------------------------------------------------------------------------------


@breaks("relative_error", cell="test_relative_error")
def re_elementwise_max(a, b):
    """Largest elementwise ratio |a - b| / (|a| + |b|) instead of the ratio of norms."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


@breaks("relative_error", cell="test_relative_error")
def re_divides_by_first_norm(a, b):
    """Divides by ||a|| only: not symmetric."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12))


@breaks("relative_error", cell="test_relative_error")
def re_no_floor(a, b):
    """No lower bound on the denominator: 0 / 0 for two zero arrays."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


@breaks("relative_error", cell="test_relative_error")
def re_broadcasts(a, b):
    """No shape check: NumPy broadcasts (3, 1) against (3, 4)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


@breaks("relative_error", cell="test_relative_error")
def re_max_of_norms(a, b):
    """Divides by max(||a||, ||b||) instead of their sum."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-12))


# --- linear_forward -------------------------------------------------------------------------------


@breaks("linear_forward", cell="test_linear_forward")
def lf_no_bias(x, W, b):
    """Forgets the bias."""
    return x @ W, (x, W, b)


@breaks("linear_forward", cell="test_linear_forward")
def lf_transposed_weights(x, W, b):
    """Uses W transposed (W stored as (M, D) in the learner's head)."""
    return x @ W.T + b, (x, W, b)


@breaks("linear_forward", cell="test_linear_forward")
def lf_cache_without_bias(x, W, b):
    """Caches only (x, W)."""
    return x @ W + b, (x, W)


@breaks("linear_forward", cell="test_linear_forward")
def lf_cache_wrong_order(x, W, b):
    """Caches (W, x, b)."""
    return x @ W + b, (W, x, b)


# --- linear_backward ------------------------------------------------------------------------------


@breaks("linear_backward", cell="test_linear_backward")
def lb_missing_transpose(dout, cache):
    """dx = dout @ W instead of dout @ W.T."""
    x, W, _ = cache
    return dout @ W, x.T @ dout, dout.sum(axis=0)


@breaks("linear_backward", cell="test_linear_backward")
def lb_averaged(dout, cache):
    """Averages dW and db over the batch (the loss already averages)."""
    x, W, _ = cache
    return dout @ W.T, x.T @ dout / len(x), dout.mean(axis=0)


@breaks("linear_backward", cell="test_linear_backward")
def lb_db_wrong_axis(dout, cache):
    """Sums db over the features instead of the examples."""
    x, W, _ = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)


@breaks("linear_backward", cell="test_linear_backward")
def lb_dW_transposed(dout, cache):
    """dW = dout^T x, the transpose of the right answer."""
    x, W, _ = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


@breaks("linear_backward", cell="test_linear_backward")
def lb_db_is_dout_row(dout, cache):
    """Takes db from the first example only."""
    x, W, _ = cache
    return dout @ W.T, x.T @ dout, dout[0].copy()


# --- relu_forward ---------------------------------------------------------------------------------


@breaks("relu_forward", cell="test_relu_forward")
def rf_in_place(x):
    """Clips x in place."""
    x[x < 0] = 0.0
    return x, x


@breaks("relu_forward", cell="test_relu_forward")
def rf_leaky(x):
    """Leaky ReLU with slope 0.01."""
    return np.where(x > 0, x, 0.01 * x), x


@breaks("relu_forward", cell="test_relu_forward")
def rf_np_max(x):
    """np.max(x, 0) (a reduction) instead of np.maximum(x, 0)."""
    return np.max(x, 0), x


@breaks("relu_forward", cell="test_relu_forward")
def rf_cache_is_output(x):
    """Caches the output instead of the input."""
    out = np.maximum(x, 0)
    return out, out


# --- relu_backward --------------------------------------------------------------------------------


@breaks("relu_backward", cell="test_relu_backward")
def rb_gradient_at_zero(dout, cache):
    """Passes the gradient where x >= 0 (gradient 1 at x == 0)."""
    return dout * (cache >= 0)


@breaks("relu_backward", cell="test_relu_backward")
def rb_wrong_side(dout, cache):
    """Passes the gradient where x < 0."""
    return dout * (cache < 0)


@breaks("relu_backward", cell="test_relu_backward")
def rb_masks_by_dout(dout, cache):
    """Masks by the sign of dout instead of x."""
    return dout * (dout > 0)


@breaks("relu_backward", cell="test_relu_backward")
def rb_forgets_dout(dout, cache):
    """Returns the local derivative only."""
    return (cache > 0).astype(float)


@breaks("relu_backward", cell="test_relu_backward")
def rb_in_place(dout, cache):
    """Zeroes dout in place."""
    dout[cache <= 0] = 0.0
    return dout


# --- sigmoid_forward ------------------------------------------------------------------------------


@breaks("sigmoid_forward", cell="test_sigmoid_forward")
def sf_sign_error(x):
    """1 / (1 + exp(x)): the sign of the exponent is wrong."""
    e = np.exp(-np.abs(x))
    out = np.where(x < 0, 1 / (1 + e), e / (1 + e))
    return out, out


@breaks("sigmoid_forward", cell="test_sigmoid_forward")
def sf_naive_overflow(x):
    """The textbook formula: np.exp(-x) overflows for x = -1000."""
    out = 1 / (1 + np.exp(-x))
    return out, out


@breaks("sigmoid_forward", cell="test_sigmoid_forward")
def sf_cache_is_input(x):
    """Caches x instead of the output."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)), x


@breaks("sigmoid_forward", cell="test_sigmoid_forward")
def sf_tanh_identity_wrong(x):
    """(1 + tanh(x)) / 2: the identity needs tanh(x / 2)."""
    out = (1 + np.tanh(x)) / 2
    return out, out


# --- sigmoid_backward -----------------------------------------------------------------------------


@breaks("sigmoid_backward", cell="test_sigmoid_backward")
def sb_forgets_one_minus(dout, cache):
    """dout * s, forgetting (1 - s)."""
    return dout * cache


@breaks("sigmoid_backward", cell="test_sigmoid_backward")
def sb_cache_as_input(dout, cache):
    """Treats the cache as the input x and applies the sigmoid again."""
    s = 1 / (1 + np.exp(-cache))
    return dout * s * (1 - s)


@breaks("sigmoid_backward", cell="test_sigmoid_backward")
def sb_tanh_derivative(dout, cache):
    """Uses the tanh derivative 1 - s^2."""
    return dout * (1 - cache**2)


@breaks("sigmoid_backward", cell="test_sigmoid_backward")
def sb_forgets_dout(dout, cache):
    """Returns the local derivative only."""
    return cache * (1 - cache)


# --- tanh_forward ---------------------------------------------------------------------------------


@breaks("tanh_forward", cell="test_tanh_forward")
def tf_sigmoid_identity_wrong(x):
    """2 sigmoid(x) - 1, which is tanh(x / 2)."""
    out = 2 / (1 + np.exp(-x)) - 1
    return out, out


@breaks("tanh_forward", cell="test_tanh_forward")
def tf_cache_is_input(x):
    """Caches x instead of the output."""
    return np.tanh(x), x


@breaks("tanh_forward", cell="test_tanh_forward")
def tf_in_place(x):
    """Overwrites x with tanh(x)."""
    np.tanh(x, out=x)
    return x, x


# --- tanh_backward --------------------------------------------------------------------------------


@breaks("tanh_backward", cell="test_tanh_backward")
def tb_square_outside(dout, cache):
    """(1 - t)^2 instead of 1 - t^2."""
    return dout * (1 - cache) ** 2


@breaks("tanh_backward", cell="test_tanh_backward")
def tb_cache_as_input(dout, cache):
    """Treats the cache as the input x and applies tanh again."""
    return dout * (1 - np.tanh(cache) ** 2)


@breaks("tanh_backward", cell="test_tanh_backward")
def tb_sigmoid_form(dout, cache):
    """Uses the sigmoid's t (1 - t)."""
    return dout * cache * (1 - cache)


@breaks("tanh_backward", cell="test_tanh_backward")
def tb_missing_square(dout, cache):
    """1 - t instead of 1 - t^2."""
    return dout * (1 - cache)


# --- softmax_cross_entropy ------------------------------------------------------------------------


@breaks("softmax_cross_entropy", cell="test_softmax_cross_entropy")
def sm_no_max_subtraction(scores, y):
    """Exponentiates the raw scores: overflows at 1e3."""
    n = len(scores)
    exp = np.exp(scores)
    probs = exp / exp.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(exp.sum(axis=1)) - scores[np.arange(n), y])
    probs[np.arange(n), y] -= 1
    return float(loss), probs / n


@breaks("softmax_cross_entropy", cell="test_softmax_cross_entropy")
def sm_global_max(scores, y):
    """Subtracts the maximum of the whole array instead of each row's."""
    n = len(scores)
    shifted = scores - scores.max()
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d / n


@breaks("softmax_cross_entropy", cell="test_softmax_cross_entropy")
def sm_gradient_summed(scores, y):
    """Forgets to divide the gradient by N (summed instead of averaged)."""
    n = len(scores)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d


@breaks("softmax_cross_entropy", cell="test_softmax_cross_entropy")
def sm_loss_summed(scores, y):
    """Sums the loss over the batch instead of averaging it."""
    n = len(scores)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].sum()), d / n


@breaks("softmax_cross_entropy", cell="test_softmax_cross_entropy")
def sm_log_of_probabilities(scores, y):
    """Max-subtracted softmax, then log of the probability: log(0) when it underflows."""
    n = len(scores)
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = exp / exp.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    d = probs.copy()
    d[np.arange(n), y] -= 1
    return float(loss), d / n


@breaks("softmax_cross_entropy", cell="test_softmax_cross_entropy")
def sm_forgets_onehot(scores, y):
    """dscores = softmax / N, forgetting to subtract the one-hot labels."""
    n = len(scores)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(n), y].mean()), np.exp(log_probs) / n


@breaks("softmax_cross_entropy", cell="test_softmax_cross_entropy")
def sm_mutates_scores(scores, y):
    """Subtracts the row maximum from scores in place."""
    n = len(scores)
    scores -= scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d / n


# --- dropout_forward ------------------------------------------------------------------------------


@breaks("dropout_forward", cell="test_dropout_forward")
def do_not_rescaled(x, p_drop, train, rng):
    """Drops but does not rescale the kept units by 1 / (1 - p_drop)."""
    if not train:
        return x.copy(), np.ones_like(x)
    mask = (rng.random(x.shape) >= p_drop).astype(float)
    return x * mask, mask


@breaks("dropout_forward", cell="test_dropout_forward")
def do_keep_probability(x, p_drop, train, rng):
    """Reads p_drop as the probability of keeping a unit."""
    if not train:
        return x.copy(), np.ones_like(x)
    mask = (rng.random(x.shape) < p_drop) / p_drop if p_drop > 0 else np.ones_like(x)
    return x * mask, mask


@breaks("dropout_forward", cell="test_dropout_forward")
def do_scaled_by_keep(x, p_drop, train, rng):
    """Multiplies the kept units by (1 - p_drop) instead of dividing."""
    if not train:
        return x.copy(), np.ones_like(x)
    mask = (rng.random(x.shape) >= p_drop) * (1 - p_drop)
    return x * mask, mask


@breaks("dropout_forward", cell="test_dropout_forward")
def do_classic_test_scaling(x, p_drop, train, rng):
    """Classic (non-inverted) dropout: scales by (1 - p_drop) at test time."""
    if not train:
        mask = np.full_like(x, 1 - p_drop)
        return x * mask, mask
    mask = (rng.random(x.shape) >= p_drop).astype(float)
    return x * mask, mask


@breaks("dropout_forward", cell="test_dropout_forward")
def do_global_random_state(x, p_drop, train, rng):
    """Draws the mask from np.random instead of rng."""
    if not train:
        return x.copy(), np.ones_like(x)
    mask = (np.random.random_sample(x.shape) >= p_drop) / (1 - p_drop)
    return x * mask, mask


@breaks("dropout_forward", cell="test_dropout_forward")
def do_ignores_train_flag(x, p_drop, train, rng):
    """Drops at test time too."""
    mask = (rng.random(x.shape) >= p_drop) / (1 - p_drop)
    return x * mask, mask


@breaks("dropout_forward", cell="test_dropout_forward")
def do_boolean_cache(x, p_drop, train, rng):
    """Right output, but caches the boolean keep mask instead of the scaled mask."""
    if not train:
        return x.copy(), np.ones_like(x)
    keep = rng.random(x.shape) >= p_drop
    return x * keep / (1 - p_drop), keep


# --- dropout_backward -----------------------------------------------------------------------------


@breaks("dropout_backward", cell="test_dropout_backward")
def db_ignores_mask(dout, cache):
    """Passes dout through unchanged."""
    return dout.copy()


@breaks("dropout_backward", cell="test_dropout_backward")
def db_unscaled(dout, cache):
    """Zeroes the dropped entries but forgets the 1 / (1 - p_drop) scale."""
    return dout * (cache > 0)


@breaks("dropout_backward", cell="test_dropout_backward")
def db_forgets_dout(dout, cache):
    """Returns the mask (the local derivative) only."""
    return cache.copy()


# --- MLP (factories returning an object with params, loss, predict) -------------------------------


@breaks("MLP", cell="test_mlp")
def mlp_reg_on_biases(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Applies the L2 penalty and its gradient to the biases too."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                rc = None
                if i < self.depth:
                    h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                if rc is not None:
                    d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                W, b = self.params[f"W{i}"], self.params[f"b{i}"]
                loss += 0.5 * self.reg * (np.sum(W**2) + np.sum(b**2))
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db + self.reg * b
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_mlp")
def mlp_reg_without_half(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Adds reg * sum(W^2) to the loss (no 0.5) but uses reg * W as its gradient."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                rc = None
                if i < self.depth:
                    h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                if rc is not None:
                    d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                W = self.params[f"W{i}"]
                loss += self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_mlp")
def mlp_reg_gradient_missing(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Adds the L2 term to the loss but not its gradient."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                rc = None
                if i < self.depth:
                    h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                if rc is not None:
                    d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                loss += 0.5 * self.reg * np.sum(self.params[f"W{i}"] ** 2)
                grads[f"W{i}"], grads[f"b{i}"] = dW, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_mlp")
def mlp_relu_on_scores(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Applies a ReLU after the last layer too."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                W = self.params[f"W{i}"]
                loss += 0.5 * self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_mlp")
def mlp_without_relu(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """No activation between the layers: a linear model in disguise."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                caches.append(lc)
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                d, dW, db = linear_backward(d, caches[i - 1])
                W = self.params[f"W{i}"]
                loss += 0.5 * self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_mlp")
def mlp_ignores_seed(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Initialises from np.random's global state: the seed has no effect."""

    class Net:
        def __init__(self):
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * np.random.randn(sizes[i - 1], sizes[i])
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                rc = None
                if i < self.depth:
                    h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                if rc is not None:
                    d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                W = self.params[f"W{i}"]
                loss += 0.5 * self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_mlp")
def mlp_stale_weights(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Keeps its own list of the initial weights instead of reading self.params at call time."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])
            self.layers = [(self.params[f"W{i}"], self.params[f"b{i}"]) for i in range(1, len(sizes))]

        def forward(self, X):
            h, caches = X, []
            for i, (W, b) in enumerate(self.layers, start=1):
                h, lc = linear_forward(h, W, b)
                rc = None
                if i < self.depth:
                    h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                if rc is not None:
                    d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                W = self.layers[i - 1][0]
                loss += 0.5 * self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_mlp")
def mlp_predict_wrong_axis(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Right loss and gradients, but predict takes the argmax over the examples (axis 0)."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                rc = None
                if i < self.depth:
                    h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                if rc is not None:
                    d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                W = self.params[f"W{i}"]
                loss += 0.5 * self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=0)

    return Net()


# --- sgd_step -------------------------------------------------------------------------------------


@breaks("sgd_step", cell="test_sgd_step")
def sgd_ascent(params, grads, lr):
    """Adds the gradient (gradient ascent)."""
    for k in params:
        params[k] += lr * grads[k]


@breaks("sgd_step", cell="test_sgd_step")
def sgd_new_dict(params, grads, lr):
    """Builds and returns a new dict; the caller's params are not updated."""
    return {k: v - lr * grads[k] for k, v in params.items()}


@breaks("sgd_step", cell="test_sgd_step")
def sgd_weights_only(params, grads, lr):
    """Updates the weights but not the biases."""
    for k in params:
        if k.startswith("W"):
            params[k] -= lr * grads[k]


@breaks("sgd_step", cell="test_sgd_step")
def sgd_without_lr(params, grads, lr):
    """Forgets the learning rate."""
    for k in params:
        params[k] -= grads[k]


@breaks("sgd_step", cell="test_sgd_step")
def sgd_scales_grads_in_place(params, grads, lr):
    """Scales grads in place before subtracting them."""
    for k in params:
        grads[k] *= lr
        params[k] -= grads[k]


# --- the trained network (test_trained_mlp retrains with the learner's MLP and sgd_step) ----------


@breaks("sgd_step", cell="test_trained_mlp")
def trained_with_gradient_ascent(params, grads, lr):
    """Gradient ascent: training makes the network worse."""
    for k in params:
        params[k] = params[k] + lr * grads[k]


@breaks("sgd_step", cell="test_trained_mlp")
def trained_without_updates(params, grads, lr):
    """Rebinds a local name; the model's parameters never change."""
    params = {k: v - lr * grads[k] for k, v in params.items()}
    return params


@breaks("sgd_step", cell="test_trained_mlp")
def trained_with_tiny_steps(params, grads, lr):
    """Divides the learning rate by the number of parameters: far too small to learn in time."""
    for k in params:
        params[k] -= lr / params[k].size * grads[k]


@breaks("MLP", cell="test_trained_mlp")
def trained_predict_argmin(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """Right loss and gradients, but predict returns the class with the lowest score."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                rc = None
                if i < self.depth:
                    h, rc = relu_forward(h)
                caches.append((lc, rc))
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                lc, rc = caches[i - 1]
                if rc is not None:
                    d = relu_backward(d, rc)
                d, dW, db = linear_backward(d, lc)
                W = self.params[f"W{i}"]
                loss += 0.5 * self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmin(self.forward(X)[0], axis=1)

    return Net()


@breaks("MLP", cell="test_trained_mlp")
def trained_linear_network(sizes, weight_scale=1e-2, reg=0.0, seed=0):
    """No hidden ReLU: trains a linear model (its predictions are not the ReLU network's)."""

    class Net:
        def __init__(self):
            gen = np.random.default_rng(seed)
            self.reg, self.params, self.depth = reg, {}, len(sizes) - 1
            for i in range(1, len(sizes)):
                self.params[f"W{i}"] = weight_scale * gen.standard_normal((sizes[i - 1], sizes[i]))
                self.params[f"b{i}"] = np.zeros(sizes[i])

        def forward(self, X):
            h, caches = X, []
            for i in range(1, self.depth + 1):
                h, lc = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
                caches.append(lc)
            return h, caches

        def loss(self, X, y):
            scores, caches = self.forward(X)
            loss, d = softmax_cross_entropy(scores, y)
            grads = {}
            for i in range(self.depth, 0, -1):
                d, dW, db = linear_backward(d, caches[i - 1])
                W = self.params[f"W{i}"]
                loss += 0.5 * self.reg * np.sum(W**2)
                grads[f"W{i}"], grads[f"b{i}"] = dW + self.reg * W, db
            return float(loss), grads

        def predict(self, X):
            return np.argmax(self.forward(X)[0], axis=1)

    return Net()


# --- torch_mlp_loss -------------------------------------------------------------------------------


@breaks("torch_mlp_loss", cell="test_torch_mlp_loss")
def tl_float32(params, X, y, reg, device="cpu"):
    """Computes in float32 (torch's default dtype): agrees only to about 1e-7."""
    L = len(params) // 2
    t = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(X, dtype=torch.float32)
    for i in range(1, L + 1):
        h = h @ t[f"W{i}"] + t[f"b{i}"]
        if i < L:
            h = torch.relu(h)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y)) + 0.5 * reg * sum((t[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    loss.backward()
    return loss.item(), {k: v.grad.double().numpy() for k, v in t.items()}


@breaks("torch_mlp_loss", cell="test_torch_mlp_loss")
def tl_sum_reduction(params, X, y, reg, device="cpu"):
    """cross_entropy with reduction='sum' instead of the mean."""
    L = len(params) // 2
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(X)
    for i in range(1, L + 1):
        h = h @ t[f"W{i}"] + t[f"b{i}"]
        if i < L:
            h = torch.relu(h)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y), reduction="sum")
    loss = loss + 0.5 * reg * sum((t[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


@breaks("torch_mlp_loss", cell="test_torch_mlp_loss")
def tl_reg_on_biases(params, X, y, reg, device="cpu"):
    """Applies the L2 penalty to every parameter, biases included."""
    L = len(params) // 2
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(X)
    for i in range(1, L + 1):
        h = h @ t[f"W{i}"] + t[f"b{i}"]
        if i < L:
            h = torch.relu(h)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y)) + 0.5 * reg * sum((v**2).sum() for v in t.values())
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


@breaks("torch_mlp_loss", cell="test_torch_mlp_loss")
def tl_relu_on_output(params, X, y, reg, device="cpu"):
    """Applies a ReLU to the scores as well."""
    L = len(params) // 2
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(X)
    for i in range(1, L + 1):
        h = torch.relu(h @ t[f"W{i}"] + t[f"b{i}"])
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y)) + 0.5 * reg * sum((t[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


@breaks("torch_mlp_loss", cell="test_torch_mlp_loss")
def tl_returns_tensors(params, X, y, reg, device="cpu"):
    """Returns the loss and the gradients as torch tensors."""
    L = len(params) // 2
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(X)
    for i in range(1, L + 1):
        h = h @ t[f"W{i}"] + t[f"b{i}"]
        if i < L:
            h = torch.relu(h)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y)) + 0.5 * reg * sum((t[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    loss.backward()
    return loss.detach(), {k: v.grad for k, v in t.items()}


@breaks("torch_mlp_loss", cell="test_torch_mlp_loss")
def tl_without_half(params, X, y, reg, device="cpu"):
    """Weight decay reg * sum(W^2) without the 0.5."""
    L = len(params) // 2
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(X)
    for i in range(1, L + 1):
        h = h @ t[f"W{i}"] + t[f"b{i}"]
        if i < L:
            h = torch.relu(h)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y)) + reg * sum((t[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


# --- boolean_mlp ----------------------------------------------------------------------------------


@breaks("boolean_mlp", cell="test_boolean_mlp")
def bm_threshold_d(positives):
    """Hidden threshold D instead of D - 1: the unit's own positive gives sign(0) = 0."""
    P = np.asarray(positives, dtype=float)
    if P.ndim != 2 or not np.all(np.isin(P, (-1.0, 1.0))):
        raise ValueError("bad positives")
    M, D = P.shape
    return P.copy(), np.full(M, -float(D)), np.ones(M), float(M - 1)


@breaks("boolean_mlp", cell="test_boolean_mlp")
def bm_and_at_the_output(positives):
    """Output bias -(M - 1): an AND of the hidden units instead of an OR."""
    P = np.asarray(positives, dtype=float)
    if P.ndim != 2 or not np.all(np.isin(P, (-1.0, 1.0))):
        raise ValueError("bad positives")
    M, D = P.shape
    return P.copy(), np.full(M, -(D - 1.0)), np.ones(M), -float(M - 1)


@breaks("boolean_mlp", cell="test_boolean_mlp")
def bm_output_bias_zero(positives):
    """No output bias: with one active unit the sum is 2 - M, negative for M > 2."""
    P = np.asarray(positives, dtype=float)
    if P.ndim != 2 or not np.all(np.isin(P, (-1.0, 1.0))):
        raise ValueError("bad positives")
    M, D = P.shape
    return P.copy(), np.full(M, -(D - 1.0)), np.ones(M), 0.0


@breaks("boolean_mlp", cell="test_boolean_mlp")
def bm_positive_threshold(positives):
    """Hidden bias +(D - 1) instead of -(D - 1): units fire almost everywhere."""
    P = np.asarray(positives, dtype=float)
    if P.ndim != 2 or not np.all(np.isin(P, (-1.0, 1.0))):
        raise ValueError("bad positives")
    M, D = P.shape
    return P.copy(), np.full(M, D - 1.0), np.ones(M), float(M - 1)


@breaks("boolean_mlp", cell="test_boolean_mlp")
def bm_transposed(positives):
    """W1 transposed to (D, M)."""
    P = np.asarray(positives, dtype=float)
    if P.ndim != 2 or not np.all(np.isin(P, (-1.0, 1.0))):
        raise ValueError("bad positives")
    M, D = P.shape
    return P.T.copy(), np.full(M, -(D - 1.0)), np.ones(M), float(M - 1)


@breaks("boolean_mlp", cell="test_boolean_mlp")
def bm_hard_coded_xor(positives):
    """Returns the XOR network of the visible example whatever the positives."""
    return np.array([[-1.0, 1.0], [1.0, -1.0]]), np.array([-1.0, -1.0]), np.ones(2), 1.0


@breaks("boolean_mlp", cell="test_boolean_mlp")
def bm_no_input_check(positives):
    """Never raises: values other than -1 and +1 go through."""
    P = np.asarray(positives, dtype=float)
    M, D = P.shape if P.ndim == 2 else (1, P.size)
    return P.reshape(M, D).copy(), np.full(M, -(D - 1.0)), np.ones(M), float(M - 1)


# --- batchnorm_forward ----------------------------------------------------------------------------


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_unbiased_normalisation(x, gamma, beta, bn_param):
    """Normalises with the unbiased batch variance (N - 1) instead of the biased one."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.ones(d))
    if bn_param["mode"] == "test":
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    if n < 2:
        raise ValueError("one example")
    mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
    bn_param["running_var"] = momentum * rv + (1 - momentum) * var
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_biased_running_var(x, gamma, beta, bn_param):
    """Running variance averaged with the biased batch variance (CS231n's habit, not the prompt's)."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.ones(d))
    if bn_param["mode"] == "test":
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    if n < 2:
        raise ValueError("one example")
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
    bn_param["running_var"] = momentum * rv + (1 - momentum) * var
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_momentum_swapped(x, gamma, beta, bn_param):
    """Running averages weighted the torch way round: (1 - momentum) * running + momentum * batch."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.ones(d))
    if bn_param["mode"] == "test":
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    if n < 2:
        raise ValueError("one example")
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    bn_param["running_mean"] = (1 - momentum) * rm + momentum * mean
    bn_param["running_var"] = (1 - momentum) * rv + momentum * var * n / (n - 1)
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_batch_statistics_at_test_time(x, gamma, beta, bn_param):
    """Test mode normalises with the batch's own statistics instead of the running averages."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.ones(d))
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    if bn_param["mode"] == "test":
        return gamma * x_hat + beta, None
    if n < 2:
        raise ValueError("one example")
    bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
    bn_param["running_var"] = momentum * rv + (1 - momentum) * var * n / (n - 1)
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_eps_outside_sqrt(x, gamma, beta, bn_param):
    """Divides by sqrt(var) + eps instead of sqrt(var + eps)."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.ones(d))
    if bn_param["mode"] == "test":
        return gamma * (x - rm) / (np.sqrt(rv) + eps) + beta, None
    if n < 2:
        raise ValueError("one example")
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / (np.sqrt(var) + eps)
    x_hat = (x - mean) * inv_std
    bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
    bn_param["running_var"] = momentum * rv + (1 - momentum) * var * n / (n - 1)
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_normalises_rows(x, gamma, beta, bn_param):
    """Normalises each example over its features (axis 1, layer-norm style) instead of each feature over the batch."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.ones(d))
    if bn_param["mode"] == "test":
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    if n < 2:
        raise ValueError("one example")
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    bn_param["running_mean"] = momentum * rm + (1 - momentum) * x.mean(axis=0)
    bn_param["running_var"] = momentum * rv + (1 - momentum) * x.var(axis=0, ddof=1)
    return gamma * x_hat + beta, (x_hat, gamma, 1 / np.sqrt(x.var(axis=0) + eps))


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_updates_running_at_test_time(x, gamma, beta, bn_param):
    """Also updates the running averages in test mode."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.ones(d))
    mean, var = x.mean(axis=0), x.var(axis=0)
    if bn_param["mode"] == "test":
        out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
        bn_param["running_var"] = momentum * rv + (1 - momentum) * var * n / max(n - 1, 1)
        return out, None
    if n < 2:
        raise ValueError("one example")
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
    bn_param["running_var"] = momentum * rv + (1 - momentum) * var * n / (n - 1)
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


@breaks("batchnorm_forward", cell="test_batchnorm_forward")
def bnf_running_var_starts_at_zero(x, gamma, beta, bn_param):
    """Missing running_var defaults to zeros instead of ones."""
    if bn_param.get("mode") not in ("train", "test"):
        raise ValueError("bad mode")
    n, d = x.shape
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    rm, rv = bn_param.setdefault("running_mean", np.zeros(d)), bn_param.setdefault("running_var", np.zeros(d))
    if bn_param["mode"] == "test":
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    if n < 2:
        raise ValueError("one example")
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
    bn_param["running_var"] = momentum * rv + (1 - momentum) * var * n / (n - 1)
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


# --- batchnorm_backward ---------------------------------------------------------------------------


@breaks("batchnorm_backward", cell="test_batchnorm_backward")
def bnb_statistics_as_constants(dout, cache):
    """Treats the batch mean and variance as constants: dx = dout * gamma * inv_std."""
    x_hat, gamma, inv_std = cache
    return dout * gamma * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@breaks("batchnorm_backward", cell="test_batchnorm_backward")
def bnb_no_mean_term(dout, cache):
    """Backpropagates through the variance but forgets the mean's term."""
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    g = dout * gamma
    return inv_std / n * (n * g - x_hat * (g * x_hat).sum(axis=0)), (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@breaks("batchnorm_backward", cell="test_batchnorm_backward")
def bnb_no_variance_term(dout, cache):
    """Backpropagates through the mean but forgets the variance's term."""
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    g = dout * gamma
    return inv_std / n * (n * g - g.sum(axis=0)), (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@breaks("batchnorm_backward", cell="test_batchnorm_backward")
def bnb_forgets_gamma(dout, cache):
    """dx computed from dout instead of dout * gamma."""
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    return (inv_std / n * (n * dout - dout.sum(axis=0) - x_hat * (dout * x_hat).sum(axis=0)),
            (dout * x_hat).sum(axis=0), dout.sum(axis=0))


@breaks("batchnorm_backward", cell="test_batchnorm_backward")
def bnb_gamma_beta_swapped(dout, cache):
    """Returns dbeta in place of dgamma and the other way round."""
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    g = dout * gamma
    dx = inv_std / n * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, dout.sum(axis=0), (dout * x_hat).sum(axis=0)


@breaks("batchnorm_backward", cell="test_batchnorm_backward")
def bnb_averages_parameter_gradients(dout, cache):
    """Averages dgamma and dbeta over the batch instead of summing."""
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    g = dout * gamma
    dx = inv_std / n * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).mean(axis=0), dout.mean(axis=0)


# --- sgd_momentum ---------------------------------------------------------------------------------


@breaks("sgd_momentum", cell="test_sgd_momentum")
def sm_wrong_sign(w, dw, config=None):
    """Steps w - v: away from the descent direction."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


@breaks("sgd_momentum", cell="test_sgd_momentum")
def sm_velocity_not_stored(w, dw, config=None):
    """Never stores the velocity: every step starts from v = 0 (plain SGD)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * np.zeros_like(w) - config["learning_rate"] * dw
    return w + v, dict(config, velocity=v)


@breaks("sgd_momentum", cell="test_sgd_momentum")
def sm_stale_velocity(w, dw, config=None):
    """Moves by the old velocity, then updates it: the step lags one gradient behind."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    old = config.get("velocity", np.zeros_like(w))
    config["velocity"] = config["momentum"] * old - config["learning_rate"] * dw
    return w + old, config


@breaks("sgd_momentum", cell="test_sgd_momentum")
def sm_in_place(w, dw, config=None):
    """Updates w in place and returns it."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = v
    w += v
    return w, config


@breaks("sgd_momentum", cell="test_sgd_momentum")
def sm_overwrites_config(w, dw, config=None):
    """Resets learning_rate and momentum to the defaults even when config gives them."""
    config = {} if config is None else config
    config["learning_rate"], config["momentum"] = 1e-2, 0.9
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


@breaks("sgd_momentum", cell="test_sgd_momentum")
def sm_torch_buffer_as_velocity(w, dw, config=None):
    """Stores torch's buffer (momentum * v + dw) under 'velocity' and steps w - lr * v."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


# --- adam -----------------------------------------------------------------------------------------


@breaks("adam", cell="test_adam")
def ad_no_bias_correction(w, dw, config=None):
    """Uses m and v without bias correction."""
    config = {} if config is None else config
    for key, default in [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8), ("t", 0)]:
        config.setdefault(key, default)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] += 1
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw**2
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config


@breaks("adam", cell="test_adam")
def ad_eps_inside_sqrt(w, dw, config=None):
    """Adds epsilon inside the square root."""
    config = {} if config is None else config
    for key, default in [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8), ("t", 0)]:
        config.setdefault(key, default)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] += 1
    t = config["t"]
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw**2
    m_hat, v_hat = config["m"] / (1 - config["beta1"] ** t), config["v"] / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"]), config


@breaks("adam", cell="test_adam")
def ad_t_off_by_one(w, dw, config=None):
    """Bias correction with t + 1 (t incremented, then counted once more)."""
    config = {} if config is None else config
    for key, default in [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8), ("t", 0)]:
        config.setdefault(key, default)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] += 1
    t = config["t"] + 1
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw**2
    m_hat, v_hat = config["m"] / (1 - config["beta1"] ** t), config["v"] / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@breaks("adam", cell="test_adam")
def ad_abs_instead_of_square(w, dw, config=None):
    """Second moment of |dw| instead of dw^2."""
    config = {} if config is None else config
    for key, default in [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8), ("t", 0)]:
        config.setdefault(key, default)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] += 1
    t = config["t"]
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * np.abs(dw)
    m_hat, v_hat = config["m"] / (1 - config["beta1"] ** t), config["v"] / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@breaks("adam", cell="test_adam")
def ad_moments_not_stored(w, dw, config=None):
    """Computes m and v from zero at every step (never stores them)."""
    config = {} if config is None else config
    for key, default in [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8), ("t", 0)]:
        config.setdefault(key, default)
    config["t"] += 1
    t = config["t"]
    m = (1 - config["beta1"]) * dw
    v = (1 - config["beta2"]) * dw**2
    config.setdefault("m", m)
    config.setdefault("v", v)
    m_hat, v_hat = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@breaks("adam", cell="test_adam")
def ad_overwrites_config(w, dw, config=None):
    """Resets the hyperparameters to the defaults even when config gives them."""
    config = {} if config is None else config
    config.update(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    config.setdefault("t", 0)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] += 1
    t = config["t"]
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw**2
    m_hat, v_hat = config["m"] / (1 - config["beta1"] ** t), config["v"] / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
