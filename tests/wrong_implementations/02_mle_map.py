"""Wrong implementations for notebook 02 (MLE and MAP); see __init__.py for how they are used."""

import numpy as np

from wrong_implementations import breaks

# --- bernoulli_mle ------------------------------------------------------------------------------


@breaks("bernoulli_mle", cell="test_bernoulli_mle")
def mle_counts_heads(x):
    """Returns the number of heads instead of the fraction."""
    return float(np.sum(x))


@breaks("bernoulli_mle", cell="test_bernoulli_mle")
def mle_fraction_of_tails(x):
    """Returns the fraction of tails (1 - theta)."""
    return float(1 - np.mean(x))


@breaks("bernoulli_mle", cell="test_bernoulli_mle")
def mle_laplace_smoothing(x):
    """Adds one pseudo-count to heads and tails: that is a MAP/posterior mean, not the MLE."""
    return float((np.sum(x) + 1) / (len(x) + 2))


@breaks("bernoulli_mle", cell="test_bernoulli_mle")
def mle_integer_division(x):
    """Integer division of the counts: 0 unless every flip is heads."""
    return float(int(np.sum(x)) // len(x))


@breaks("bernoulli_mle", cell="test_bernoulli_mle")
def mle_divides_by_n_minus_1(x):
    """Divides by N - 1, like an unbiased variance."""
    return float(np.sum(x) / max(len(x) - 1, 1))


@breaks("bernoulli_mle", cell="test_bernoulli_mle")
def mle_hard_coded_example(x):
    """Returns the visible example's answer whatever the input."""
    return 0.75


# --- beta_posterior -----------------------------------------------------------------------------


@breaks("beta_posterior", cell="test_beta_posterior")
def posterior_swapped_counts(x, a, b):
    """Adds the heads to b and the tails to a."""
    k = float(np.sum(x))
    return a + (len(x) - k), b + k


@breaks("beta_posterior", cell="test_beta_posterior")
def posterior_forgets_prior(x, a, b):
    """Returns the counts only (the likelihood's exponents), forgetting the prior."""
    k = float(np.sum(x))
    return k, len(x) - k


@breaks("beta_posterior", cell="test_beta_posterior")
def posterior_off_by_one(x, a, b):
    """Off-by-one pseudo-counts: a + k - 1 and b + N - k - 1 (the exponents, not the parameters)."""
    k = float(np.sum(x))
    return a + k - 1, b + len(x) - k - 1


@breaks("beta_posterior", cell="test_beta_posterior")
def posterior_adds_n_to_b(x, a, b):
    """Adds all N flips to b instead of the tails only."""
    return a + float(np.sum(x)), b + len(x)


@breaks("beta_posterior", cell="test_beta_posterior")
def posterior_flips_counted_once(x, a, b):
    """Adds 1 for 'some heads' and 1 for 'some tails' instead of the counts."""
    return a + float(np.any(x == 1)), b + float(np.any(x == 0))


# --- beta_bernoulli_map -------------------------------------------------------------------------


@breaks("beta_bernoulli_map", cell="test_beta_bernoulli_map")
def map_posterior_mean(x, a, b):
    """Returns the posterior mean (a + k) / (a + b + N) instead of the mode."""
    if a <= 1 or b <= 1:
        raise ValueError("a, b > 1 needed")
    return float((np.sum(x) + a) / (len(x) + a + b))


@breaks("beta_bernoulli_map", cell="test_beta_bernoulli_map")
def map_one_pseudo_count_short(x, a, b):
    """Subtracts 1 in the denominator instead of 2."""
    if a <= 1 or b <= 1:
        raise ValueError("a, b > 1 needed")
    return float((np.sum(x) + a - 1) / (len(x) + a + b - 1))


@breaks("beta_bernoulli_map", cell="test_beta_bernoulli_map")
def map_never_raises(x, a, b):
    """Right formula, but never raises for a <= 1 or b <= 1."""
    return float((np.sum(x) + a - 1) / (len(x) + a + b - 2))


@breaks("beta_bernoulli_map", cell="test_beta_bernoulli_map")
def map_strict_check(x, a, b):
    """Raises only for a < 1 or b < 1, letting a = 1 or b = 1 through."""
    if a < 1 or b < 1:
        raise ValueError("a, b >= 1 needed")
    return float((np.sum(x) + a - 1) / (len(x) + a + b - 2))


@breaks("beta_bernoulli_map", cell="test_beta_bernoulli_map")
def map_tails_probability(x, a, b):
    """Returns the mode for tails (b with the tails) instead of heads."""
    if a <= 1 or b <= 1:
        raise ValueError("a, b > 1 needed")
    return float((len(x) - np.sum(x) + b - 1) / (len(x) + a + b - 2))


@breaks("beta_bernoulli_map", cell="test_beta_bernoulli_map")
def map_ignores_prior(x, a, b):
    """Returns the MLE, ignoring the prior (fails with no data too)."""
    if a <= 1 or b <= 1:
        raise ValueError("a, b > 1 needed")
    return float(np.mean(x)) if len(x) else 0.5


# --- dirichlet_categorical_map ------------------------------------------------------------------


@breaks("dirichlet_categorical_map", cell="test_dirichlet_categorical_map")
def dirichlet_posterior_mean(counts, alpha):
    """Returns the posterior mean (n_k + alpha_k) / (N + sum alpha) instead of the mode."""
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), np.shape(counts))
    if np.any(alpha <= 1):
        raise ValueError("alpha > 1 needed")
    return (counts + alpha) / (np.sum(counts) + np.sum(alpha))


@breaks("dirichlet_categorical_map", cell="test_dirichlet_categorical_map")
def dirichlet_scalar_alpha_summed_once(counts, alpha):
    """Uses sum(alpha) in the denominator, which is alpha (not K alpha) for a float alpha."""
    if np.any(np.asarray(alpha) <= 1):
        raise ValueError("alpha > 1 needed")
    return (counts + alpha - 1) / (np.sum(counts) + np.sum(alpha) - len(counts))


@breaks("dirichlet_categorical_map", cell="test_dirichlet_categorical_map")
def dirichlet_minus_one_in_denominator(counts, alpha):
    """Subtracts 1 instead of K in the denominator (copied from the K = 2 formula)."""
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), np.shape(counts))
    if np.any(alpha <= 1):
        raise ValueError("alpha > 1 needed")
    return (counts + alpha - 1) / (np.sum(counts) + np.sum(alpha) - 2)


@breaks("dirichlet_categorical_map", cell="test_dirichlet_categorical_map")
def dirichlet_never_raises(counts, alpha):
    """Right formula, but never raises for alpha_k <= 1."""
    pseudo = counts + np.asarray(alpha, dtype=float) - 1
    return pseudo / pseudo.sum()


@breaks("dirichlet_categorical_map", cell="test_dirichlet_categorical_map")
def dirichlet_ignores_prior(counts, alpha):
    """Returns the MLE n_k / N, ignoring the prior."""
    if np.any(np.asarray(alpha) <= 1):
        raise ValueError("alpha > 1 needed")
    counts = np.asarray(counts, dtype=float)
    return counts / counts.sum()


# --- gaussian_mle -------------------------------------------------------------------------------


@breaks("gaussian_mle", cell="test_gaussian_mle")
def gaussian_unbiased_variance(x):
    """Divides by N - 1 (Bessel's correction): unbiased, but not the MLE."""
    n = len(x)
    return float(np.mean(x)), float(np.sum((x - np.mean(x)) ** 2) / max(n - 1, 1))


@breaks("gaussian_mle", cell="test_gaussian_mle")
def gaussian_standard_deviation(x):
    """Returns the standard deviation instead of the variance."""
    return float(np.mean(x)), float(np.std(x))


@breaks("gaussian_mle", cell="test_gaussian_mle")
def gaussian_shortcut_formula(x):
    """mean(x^2) - mu^2: cancels catastrophically when |mu| is much larger than sigma."""
    mu = np.mean(x)
    return float(mu), float(np.mean(x**2) - mu**2)


@breaks("gaussian_mle", cell="test_gaussian_mle")
def gaussian_uncentred_variance(x):
    """Forgets to subtract the mean: the second moment, not the variance."""
    return float(np.mean(x)), float(np.mean(x**2))


@breaks("gaussian_mle", cell="test_gaussian_mle")
def gaussian_divides_by_n_plus_1(x):
    """Divides by N + 1."""
    mu = np.mean(x)
    return float(mu), float(np.sum((x - mu) ** 2) / (len(x) + 1))


# --- linreg_mle ---------------------------------------------------------------------------------


@breaks("linreg_mle", cell="test_linreg_mle")
def linreg_explicit_inverse(X, y):
    """Forms inv(X^T X): right on paper, inaccurate on an ill-conditioned X."""
    return np.linalg.inv(X.T @ X) @ X.T @ y


@breaks("linreg_mle", cell="test_linreg_mle")
def linreg_jitter_for_safety(X, y):
    """Adds a small ridge 'for numerical safety': no longer the MLE."""
    return np.linalg.solve(X.T @ X + 1e-4 * np.eye(X.shape[1]), X.T @ y)


@breaks("linreg_mle", cell="test_linreg_mle")
def linreg_adds_intercept(X, y):
    """Adds a column of ones and returns D + 1 weights."""
    X1 = np.column_stack([np.ones(len(X)), X])
    return np.linalg.solve(X1.T @ X1, X1.T @ y)


@breaks("linreg_mle", cell="test_linreg_mle")
def linreg_column_vector(X, y):
    """Returns shape (D, 1) instead of (D,)."""
    return np.linalg.solve(X.T @ X, X.T @ y[:, None])


@breaks("linreg_mle", cell="test_linreg_mle")
def linreg_normalised_gram(X, y):
    """Divides X^T X by N but not X^T y."""
    return np.linalg.solve(X.T @ X / len(X), X.T @ y)


@breaks("linreg_mle", cell="test_linreg_mle")
def linreg_gradient_steps(X, y):
    """A few gradient steps instead of solving: only approximately the minimiser."""
    w = np.zeros(X.shape[1])
    step = 1.0 / np.linalg.norm(X, 2) ** 2
    for _ in range(200):
        w = w + step * X.T @ (y - X @ w)
    return w


# --- linreg_map ---------------------------------------------------------------------------------


@breaks("linreg_map", cell="test_linreg_map")
def map_lambda_inverted(X, y, noise_var, prior_var):
    """lambda = prior_var / noise_var: the ratio upside down."""
    return np.linalg.solve(X.T @ X + (prior_var / noise_var) * np.eye(X.shape[1]), X.T @ y)


@breaks("linreg_map", cell="test_linreg_map")
def map_without_prior(X, y, noise_var, prior_var):
    """Ignores the prior: least squares (fails when N < D)."""
    return np.linalg.lstsq(X, y, rcond=None)[0]


@breaks("linreg_map", cell="test_linreg_map")
def map_skips_first_column(X, y, noise_var, prior_var):
    """Treats the first column as an intercept and leaves its weight unpenalised."""
    penalty = (noise_var / prior_var) * np.eye(X.shape[1])
    penalty[0, 0] = 0.0
    return np.linalg.solve(X.T @ X + penalty, X.T @ y)


@breaks("linreg_map", cell="test_linreg_map")
def map_lambda_times_n(X, y, noise_var, prior_var):
    """Scales lambda by N (mixing up the mean and the sum of squared errors)."""
    return np.linalg.solve(X.T @ X + len(X) * (noise_var / prior_var) * np.eye(X.shape[1]), X.T @ y)


@breaks("linreg_map", cell="test_linreg_map")
def map_lambda_on_every_entry(X, y, noise_var, prior_var):
    """Adds lambda to every entry of X^T X instead of its diagonal."""
    return np.linalg.solve(X.T @ X + noise_var / prior_var, X.T @ y)


@breaks("linreg_map", cell="test_linreg_map")
def map_standard_deviations(X, y, noise_var, prior_var):
    """Uses the ratio of standard deviations, sqrt(noise_var / prior_var)."""
    return np.linalg.solve(X.T @ X + np.sqrt(noise_var / prior_var) * np.eye(X.shape[1]), X.T @ y)


@breaks("linreg_map", cell="test_linreg_map")
def map_half_lambda(X, y, noise_var, prior_var):
    """lambda = noise_var / (2 prior_var): a stray factor 1/2 from the Gaussian exponent."""
    return np.linalg.solve(X.T @ X + noise_var / (2 * prior_var) * np.eye(X.shape[1]), X.T @ y)


@breaks("linreg_map", cell="test_linreg_map")
def map_explicit_inverse(X, y, noise_var, prior_var):
    """Forms the inverse of X^T X + lambda I: inaccurate when lambda is tiny and X ill-conditioned."""
    return np.linalg.inv(X.T @ X + (noise_var / prior_var) * np.eye(X.shape[1])) @ X.T @ y


# --- gradient_ascent ----------------------------------------------------------------------------


@breaks("gradient_ascent", cell="test_gradient_ascent")
def ascent_goes_downhill(grad, theta0, lr, n_steps):
    """Gradient descent: subtracts the gradient."""
    theta = np.array(theta0, dtype=float)
    for _ in range(n_steps):
        theta = theta - lr * grad(theta)
    return theta


@breaks("gradient_ascent", cell="test_gradient_ascent")
def ascent_one_step_too_many(grad, theta0, lr, n_steps):
    """Off by one: n_steps + 1 updates."""
    theta = np.array(theta0, dtype=float)
    for _ in range(n_steps + 1):
        theta = theta + lr * grad(theta)
    return theta


@breaks("gradient_ascent", cell="test_gradient_ascent")
def ascent_in_place(grad, theta0, lr, n_steps):
    """Updates theta0 in place (the caller's array changes)."""
    theta = theta0 if isinstance(theta0, np.ndarray) and theta0.dtype == float else np.array(theta0, dtype=float)
    for _ in range(n_steps):
        theta += lr * grad(theta)
    return theta


@breaks("gradient_ascent", cell="test_gradient_ascent")
def ascent_gradient_at_start(grad, theta0, lr, n_steps):
    """Evaluates the gradient once, at theta0, and reuses it every step."""
    theta = np.array(theta0, dtype=float)
    g = grad(theta)
    for _ in range(n_steps):
        theta = theta + lr * g
    return theta


@breaks("gradient_ascent", cell="test_gradient_ascent")
def ascent_keeps_integer_dtype(grad, theta0, lr, n_steps):
    """Copies theta0 without converting it to float: integer starts truncate every step."""
    theta = np.array(theta0)
    for _ in range(n_steps):
        theta[...] = theta + lr * grad(theta)
    return theta


@breaks("gradient_ascent", cell="test_gradient_ascent")
def ascent_returns_trajectory(grad, theta0, lr, n_steps):
    """Returns every iterate, not the final parameters."""
    thetas = [np.array(theta0, dtype=float)]
    for _ in range(n_steps):
        thetas.append(thetas[-1] + lr * grad(thetas[-1]))
    return np.array(thetas)
