"""Wrong implementations for notebook 08 (structured SVMs); see __init__.py for how they are used.

They run in the notebook's namespace, where the notebook's own (reference) functions exist; the
placeholders below only tell the linter that those names come from there.
"""

import numpy as np
import torch
from torch import nn

from wrong_implementations import breaks

viterbi = chain_score = joint_feature = hamming_loss = loss_augmented_decode = structured_hinge = None
chain_marginals = crf_nll = None

# --- joint_feature ------------------------------------------------------------------------------


@breaks("joint_feature", cell="test_joint_feature")
def psi_pair_transposed(X, y, K):
    """Counts the transition y_t -> y_{t+1} at [y_{t+1}, y_t]."""
    unary, pair = np.zeros((K, X.shape[1])), np.zeros((K, K))
    np.add.at(unary, y, X)
    np.add.at(pair, (y[1:], y[:-1]), 1.0)
    return np.concatenate([unary.ravel(), pair.ravel()])


@breaks("joint_feature", cell="test_joint_feature")
def psi_unary_column_major(X, y, K):
    """Flattens the unary block column by column."""
    unary, pair = np.zeros((K, X.shape[1])), np.zeros((K, K))
    np.add.at(unary, y, X)
    np.add.at(pair, (y[:-1], y[1:]), 1.0)
    return np.concatenate([unary.ravel(order="F"), pair.ravel()])


@breaks("joint_feature", cell="test_joint_feature")
def psi_wraps_around(X, y, K):
    """Also counts a transition from the last letter back to the first."""
    unary, pair = np.zeros((K, X.shape[1])), np.zeros((K, K))
    np.add.at(unary, y, X)
    np.add.at(pair, (y, np.roll(y, -1)), 1.0)
    return np.concatenate([unary.ravel(), pair.ravel()])


@breaks("joint_feature", cell="test_joint_feature")
def psi_assigns_instead_of_adding(X, y, K):
    """unary[y] = X: a repeated label keeps only its last letter instead of the sum."""
    unary, pair = np.zeros((K, X.shape[1])), np.zeros((K, K))
    unary[y] = X
    np.add.at(pair, (y[:-1], y[1:]), 1.0)
    return np.concatenate([unary.ravel(), pair.ravel()])


@breaks("joint_feature", cell="test_joint_feature")
def psi_blocks_swapped(X, y, K):
    """Puts the transition block first."""
    unary, pair = np.zeros((K, X.shape[1])), np.zeros((K, K))
    np.add.at(unary, y, X)
    np.add.at(pair, (y[:-1], y[1:]), 1.0)
    return np.concatenate([pair.ravel(), unary.ravel()])


# --- chain_score --------------------------------------------------------------------------------


@breaks("chain_score", cell="test_chain_score")
def score_pair_transposed(X, y, W_unary, W_pair):
    """Reads the transition y_t -> y_{t+1} at W_pair[y_{t+1}, y_t]."""
    return float(np.sum(X * W_unary[y]) + np.sum(W_pair[y[1:], y[:-1]]))


@breaks("chain_score", cell="test_chain_score")
def score_without_transitions(X, y, W_unary, W_pair):
    """Forgets the transition scores."""
    return float(np.sum(X * W_unary[y]))


@breaks("chain_score", cell="test_chain_score")
def score_wraps_around(X, y, W_unary, W_pair):
    """Adds a transition from the last letter back to the first."""
    return float(np.sum(X * W_unary[y]) + np.sum(W_pair[y, np.roll(y, -1)]))


@breaks("chain_score", cell="test_chain_score")
def score_all_labels(X, y, W_unary, W_pair):
    """Sums the unary scores of every label instead of the chosen one."""
    return float(np.sum(X @ W_unary.T) + np.sum(W_pair[y[:-1], y[1:]]))


# --- hamming_loss -------------------------------------------------------------------------------


@breaks("hamming_loss", cell="test_hamming_loss")
def hamming_fraction(y, y_hat):
    """Returns the fraction of wrong positions instead of their number."""
    return float(np.mean(np.asarray(y) != np.asarray(y_hat)))


@breaks("hamming_loss", cell="test_hamming_loss")
def hamming_counts_matches(y, y_hat):
    """Counts the positions that agree."""
    return int(np.sum(np.asarray(y) == np.asarray(y_hat)))


@breaks("hamming_loss", cell="test_hamming_loss")
def hamming_distinct_labels(y, y_hat):
    """Counts the distinct wrong labels, not the wrong positions."""
    y, y_hat = np.asarray(y), np.asarray(y_hat)
    return len(set(y_hat[y != y_hat].tolist()))


@breaks("hamming_loss", cell="test_hamming_loss")
def hamming_float_count(y, y_hat):
    """Returns the count as a float."""
    return float(np.sum(np.asarray(y) != np.asarray(y_hat)))


# --- viterbi ------------------------------------------------------------------------------------


@breaks("viterbi", cell="test_viterbi")
def viterbi_greedy(unary, pairwise):
    """Ignores the transitions: the best label of every letter on its own."""
    return np.argmax(unary, axis=1)


@breaks("viterbi", cell="test_viterbi")
def viterbi_pairwise_transposed(unary, pairwise):
    """Uses pairwise[next, previous]."""
    T, K = unary.shape
    best, back = unary[0].copy(), np.zeros((T, K), dtype=np.int64)
    for t in range(1, T):
        candidates = best[:, None] + pairwise.T
        back[t] = np.argmax(candidates, axis=0)
        best = candidates[back[t], np.arange(K)] + unary[t]
    y = np.empty(T, dtype=np.int64)
    y[-1] = np.argmax(best)
    for t in range(T - 1, 0, -1):
        y[t - 1] = back[t, y[t]]
    return y


@breaks("viterbi", cell="test_viterbi")
def viterbi_forgets_first_unary(unary, pairwise):
    """Starts the recursion from zeros instead of unary[0]."""
    T, K = unary.shape
    best, back = np.zeros(K), np.zeros((T, K), dtype=np.int64)
    for t in range(1, T):
        candidates = best[:, None] + pairwise
        back[t] = np.argmax(candidates, axis=0)
        best = candidates[back[t], np.arange(K)] + unary[t]
    y = np.empty(T, dtype=np.int64)
    y[-1] = np.argmax(best)
    for t in range(T - 1, 0, -1):
        y[t - 1] = back[t, y[t]]
    return y


@breaks("viterbi", cell="test_viterbi")
def viterbi_no_backtracking(unary, pairwise):
    """Takes the argmax of each prefix score delta_t instead of following the back-pointers."""
    T, K = unary.shape
    best = unary[0].copy()
    y = [int(np.argmax(best))]
    for t in range(1, T):
        best = np.max(best[:, None] + pairwise, axis=0) + unary[t]
        y.append(int(np.argmax(best)))
    return np.array(y)


@breaks("viterbi", cell="test_viterbi")
def viterbi_backpointer_off_by_one(unary, pairwise):
    """Follows the back-pointers of the wrong position."""
    T, K = unary.shape
    best, back = unary[0].copy(), np.zeros((T + 1, K), dtype=np.int64)
    for t in range(1, T):
        candidates = best[:, None] + pairwise
        back[t] = np.argmax(candidates, axis=0)
        best = candidates[back[t], np.arange(K)] + unary[t]
    y = np.empty(T, dtype=np.int64)
    y[-1] = np.argmax(best)
    for t in range(T - 1, 0, -1):
        y[t - 1] = back[t + 1, y[t]] if t + 1 < T else back[t, y[t]]
    return y


# --- loss_augmented_decode ----------------------------------------------------------------------


@breaks("loss_augmented_decode", cell="test_loss_augmented_decode")
def decode_without_loss(X, y, W_unary, W_pair):
    """Plain Viterbi: the loss is not added."""
    return viterbi(X @ W_unary.T, W_pair)


@breaks("loss_augmented_decode", cell="test_loss_augmented_decode")
def decode_loss_wrong_sign(X, y, W_unary, W_pair):
    """Subtracts the loss instead of adding it."""
    unary = X @ W_unary.T - 1.0
    unary[np.arange(len(y)), y] += 1.0
    return viterbi(unary, W_pair)


@breaks("loss_augmented_decode", cell="test_loss_augmented_decode")
def decode_loss_at_gold(X, y, W_unary, W_pair):
    """Adds 1 to the gold label's score instead of to the wrong labels'."""
    unary = X @ W_unary.T
    unary[np.arange(len(y)), y] += 1.0
    return viterbi(unary, W_pair)


@breaks("loss_augmented_decode", cell="test_loss_augmented_decode")
def decode_loss_wrong_positions(X, y, W_unary, W_pair):
    """Compares each position with the gold label of the previous letter."""
    unary = X @ W_unary.T + 1.0
    unary[np.arange(len(y)), np.roll(y, 1)] -= 1.0
    return viterbi(unary, W_pair)


@breaks("loss_augmented_decode", cell="test_loss_augmented_decode")
def decode_loss_only_first_letter(X, y, W_unary, W_pair):
    """Folds the loss into the first letter only."""
    unary = X @ W_unary.T
    unary[0] += 1.0
    unary[0, y[0]] -= 1.0
    return viterbi(unary, W_pair)


# --- structured_hinge ---------------------------------------------------------------------------


@breaks("structured_hinge", cell="test_structured_hinge")
def hinge_subgradient_sign_flipped(X, y, W_unary, W_pair):
    """Returns psi(x, y) - psi(x, y_hat)."""
    K, D = W_unary.shape
    y_hat = loss_augmented_decode(X, y, W_unary, W_pair)
    loss = chain_score(X, y_hat, W_unary, W_pair) + hamming_loss(y, y_hat) - chain_score(X, y, W_unary, W_pair)
    g = joint_feature(X, y, K) - joint_feature(X, y_hat, K)
    return float(loss), g[: K * D].reshape(K, D), g[K * D:].reshape(K, K)


@breaks("structured_hinge", cell="test_structured_hinge")
def hinge_value_without_loss(X, y, W_unary, W_pair):
    """Leaves the Hamming loss out of the value."""
    K, D = W_unary.shape
    y_hat = loss_augmented_decode(X, y, W_unary, W_pair)
    loss = chain_score(X, y_hat, W_unary, W_pair) - chain_score(X, y, W_unary, W_pair)
    g = joint_feature(X, y_hat, K) - joint_feature(X, y, K)
    return float(loss), g[: K * D].reshape(K, D), g[K * D:].reshape(K, K)


@breaks("structured_hinge", cell="test_structured_hinge")
def hinge_plain_viterbi(X, y, W_unary, W_pair):
    """Finds y_hat with plain Viterbi (no loss in the decoding), then adds the loss."""
    K, D = W_unary.shape
    y_hat = viterbi(X @ W_unary.T, W_pair)
    loss = chain_score(X, y_hat, W_unary, W_pair) + hamming_loss(y, y_hat) - chain_score(X, y, W_unary, W_pair)
    g = joint_feature(X, y_hat, K) - joint_feature(X, y, K)
    return float(loss), g[: K * D].reshape(K, D), g[K * D:].reshape(K, K)


@breaks("structured_hinge", cell="test_structured_hinge")
def hinge_pair_gradient_transposed(X, y, W_unary, W_pair):
    """Returns the transition block of the subgradient transposed."""
    K, D = W_unary.shape
    y_hat = loss_augmented_decode(X, y, W_unary, W_pair)
    loss = chain_score(X, y_hat, W_unary, W_pair) + hamming_loss(y, y_hat) - chain_score(X, y, W_unary, W_pair)
    g = joint_feature(X, y_hat, K) - joint_feature(X, y, K)
    return float(loss), g[: K * D].reshape(K, D), g[K * D:].reshape(K, K).T


@breaks("structured_hinge", cell="test_structured_hinge")
def hinge_forgets_gold_features(X, y, W_unary, W_pair):
    """Uses psi(x, y_hat) as the subgradient, without subtracting psi(x, y)."""
    K, D = W_unary.shape
    y_hat = loss_augmented_decode(X, y, W_unary, W_pair)
    loss = chain_score(X, y_hat, W_unary, W_pair) + hamming_loss(y, y_hat) - chain_score(X, y, W_unary, W_pair)
    g = joint_feature(X, y_hat, K)
    return float(loss), g[: K * D].reshape(K, D), g[K * D:].reshape(K, K)


@breaks("structured_hinge", cell="test_structured_hinge")
def hinge_normalised_by_length(X, y, W_unary, W_pair):
    """Divides the loss and the subgradient by the number of letters."""
    K, D = W_unary.shape
    T = len(y)
    y_hat = loss_augmented_decode(X, y, W_unary, W_pair)
    loss = chain_score(X, y_hat, W_unary, W_pair) + hamming_loss(y, y_hat) - chain_score(X, y, W_unary, W_pair)
    g = (joint_feature(X, y_hat, K) - joint_feature(X, y, K)) / T
    return float(loss) / T, g[: K * D].reshape(K, D), g[K * D:].reshape(K, K)


# --- chain_accuracy (also read by test_results) -------------------------------------------------


@breaks("chain_accuracy", cell="test_chain_accuracy")
@breaks("chain_accuracy", cell="test_results")
def accuracy_averaged_per_word(words, W_unary, W_pair):
    """Averages the per-word letter accuracies instead of pooling all letters."""
    per_word, whole = [], []
    for X, y in words:
        y_hat = viterbi(X @ W_unary.T, W_pair)
        per_word.append(np.mean(y_hat == y))
        whole.append(np.all(y_hat == y))
    return float(np.mean(per_word)), float(np.mean(whole))


@breaks("chain_accuracy", cell="test_chain_accuracy")
@breaks("chain_accuracy", cell="test_results")
def accuracy_greedy(words, W_unary, W_pair):
    """Predicts each letter on its own, ignoring the transitions."""
    right, n, whole = 0, 0, 0
    for X, y in words:
        y_hat = np.argmax(X @ W_unary.T, axis=1)
        right, n, whole = right + np.sum(y_hat == y), n + len(y), whole + np.all(y_hat == y)
    return right / n, whole / len(words)


@breaks("chain_accuracy", cell="test_chain_accuracy")
@breaks("chain_accuracy", cell="test_results")
def accuracy_word_if_any_letter(words, W_unary, W_pair):
    """Counts a word as right when any of its letters is right."""
    right, n, whole = 0, 0, 0
    for X, y in words:
        y_hat = viterbi(X @ W_unary.T, W_pair)
        right, n, whole = right + np.sum(y_hat == y), n + len(y), whole + np.any(y_hat == y)
    return right / n, whole / len(words)


@breaks("chain_accuracy", cell="test_chain_accuracy")
@breaks("chain_accuracy", cell="test_results")
def accuracy_pair_transposed(words, W_unary, W_pair):
    """Decodes with the transposed transition matrix."""
    right, n, whole = 0, 0, 0
    for X, y in words:
        y_hat = viterbi(X @ W_unary.T, W_pair.T)
        right, n, whole = right + np.sum(y_hat == y), n + len(y), whole + np.all(y_hat == y)
    return right / n, whole / len(words)


# --- train_ssvm ---------------------------------------------------------------------------------


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_without_regulariser_gradient(words, K, epochs, lr, reg, seed, callback=None):
    """Forgets the regulariser's gradient reg * W."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = structured_hinge(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * gu, Wp - lr * gp
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_regulariser_wrong_sign(words, K, epochs, lr, reg, seed, callback=None):
    """Adds reg * W instead of subtracting it (the regulariser pushes the weights up)."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = structured_hinge(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (-reg * Wu + gu), Wp - lr * (-reg * Wp + gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_ascent(words, K, epochs, lr, reg, seed, callback=None):
    """Steps along the subgradient instead of against it."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = structured_hinge(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu - gu), Wp - lr * (reg * Wp - gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_same_order_every_epoch(words, K, epochs, lr, reg, seed, callback=None):
    """Creates a fresh generator every epoch: the same order each time."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    for epoch in range(1, epochs + 1):
        for i in np.random.default_rng(seed).permutation(len(words)):
            _, gu, gp = structured_hinge(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu + gu), Wp - lr * (reg * Wp + gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_pair_never_updated(words, K, epochs, lr, reg, seed, callback=None):
    """Updates only the unary weights."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, _ = structured_hinge(*words[i], Wu, Wp)
            Wu = Wu - lr * (reg * Wu + gu)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_in_order(words, K, epochs, lr, reg, seed, callback=None):
    """Visits the words in their stored order (no shuffling)."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    for epoch in range(1, epochs + 1):
        for X, y in words:
            _, gu, gp = structured_hinge(X, y, Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu + gu), Wp - lr * (reg * Wp + gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_regulariser_not_scaled_by_lr(words, K, epochs, lr, reg, seed, callback=None):
    """W -= reg * W + lr * g: the step size does not scale the regulariser."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = structured_hinge(*words[i], Wu, Wp)
            Wu, Wp = Wu - (reg * Wu + lr * gu), Wp - (reg * Wp + lr * gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_ssvm", cell="test_train_ssvm")
def ssvm_callback_from_zero(words, K, epochs, lr, reg, seed, callback=None):
    """Numbers the epochs 0, 1, ... in the callback."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(epochs):
        for i in order.permutation(len(words)):
            _, gu, gp = structured_hinge(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu + gu), Wp - lr * (reg * Wp + gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


# --- train_multiclass_svm -----------------------------------------------------------------------


@breaks("train_multiclass_svm", cell="test_train_multiclass_svm")
def msvm_without_margin(words, K, epochs, lr, reg, seed, callback=None):
    """Forgets the +1 margin on the wrong labels (a multiclass perceptron with weight decay)."""
    Wu = np.zeros((K, words[0][0].shape[1]))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            X, y = words[i]
            y_hat = np.argmax(X @ Wu.T, axis=1)
            g = np.zeros_like(Wu)
            np.add.at(g, y_hat, X)
            np.add.at(g, y, -X)
            Wu = Wu - lr * (reg * Wu + g)
        if callback is not None:
            callback(epoch, Wu, np.zeros((K, K)))
    return Wu, np.zeros((K, K))


@breaks("train_multiclass_svm", cell="test_train_multiclass_svm")
def msvm_trains_transitions(words, K, epochs, lr, reg, seed, callback=None):
    """Uses the structured hinge, so the transitions are trained too: not an independent model."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = structured_hinge(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu + gu), Wp - lr * (reg * Wp + gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_multiclass_svm", cell="test_train_multiclass_svm")
def msvm_without_regulariser(words, K, epochs, lr, reg, seed, callback=None):
    """Forgets the regulariser's gradient."""
    Wu = np.zeros((K, words[0][0].shape[1]))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            X, y = words[i]
            s = X @ Wu.T + 1.0
            s[np.arange(len(y)), y] -= 1.0
            g = np.zeros_like(Wu)
            np.add.at(g, np.argmax(s, axis=1), X)
            np.add.at(g, y, -X)
            Wu = Wu - lr * g
        if callback is not None:
            callback(epoch, Wu, np.zeros((K, K)))
    return Wu, np.zeros((K, K))


@breaks("train_multiclass_svm", cell="test_train_multiclass_svm")
def msvm_mean_over_letters(words, K, epochs, lr, reg, seed, callback=None):
    """Divides the subgradient by the number of letters of the word."""
    Wu = np.zeros((K, words[0][0].shape[1]))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            X, y = words[i]
            s = X @ Wu.T + 1.0
            s[np.arange(len(y)), y] -= 1.0
            g = np.zeros_like(Wu)
            np.add.at(g, np.argmax(s, axis=1), X)
            np.add.at(g, y, -X)
            Wu = Wu - lr * (reg * Wu + g / len(y))
        if callback is not None:
            callback(epoch, Wu, np.zeros((K, K)))
    return Wu, np.zeros((K, K))


@breaks("train_multiclass_svm", cell="test_train_multiclass_svm")
def msvm_margin_at_gold(words, K, epochs, lr, reg, seed, callback=None):
    """Adds the margin to the gold label instead of the wrong ones."""
    Wu = np.zeros((K, words[0][0].shape[1]))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            X, y = words[i]
            s = X @ Wu.T
            s[np.arange(len(y)), y] += 1.0
            g = np.zeros_like(Wu)
            np.add.at(g, np.argmax(s, axis=1), X)
            np.add.at(g, y, -X)
            Wu = Wu - lr * (reg * Wu + g)
        if callback is not None:
            callback(epoch, Wu, np.zeros((K, K)))
    return Wu, np.zeros((K, K))


# --- crf_nll ------------------------------------------------------------------------------------


@breaks("crf_nll", cell="test_crf_nll")
def nll_sign_flipped(X, y, W_unary, W_pair):
    """Returns score(y) - log Z (the log-likelihood, not its negative)."""
    K, D = W_unary.shape
    log_Z, node, edge = chain_marginals(X @ W_unary.T, W_pair)
    gold = joint_feature(X, y, K)
    return float(chain_score(X, y, W_unary, W_pair) - log_Z), node.T @ X - gold[: K * D].reshape(K, D), edge.sum(0) - gold[K * D:].reshape(K, K)


@breaks("crf_nll", cell="test_crf_nll")
def nll_gradient_sign_flipped(X, y, W_unary, W_pair):
    """Returns psi(x, y) - E[psi], the gradient of the log-likelihood."""
    K, D = W_unary.shape
    log_Z, node, edge = chain_marginals(X @ W_unary.T, W_pair)
    gold = joint_feature(X, y, K)
    return float(log_Z - chain_score(X, y, W_unary, W_pair)), gold[: K * D].reshape(K, D) - node.T @ X, gold[K * D:].reshape(K, K) - edge.sum(0)


@breaks("crf_nll", cell="test_crf_nll")
def nll_pair_gradient_transposed(X, y, W_unary, W_pair):
    """Transposes the expected transition counts."""
    K, D = W_unary.shape
    log_Z, node, edge = chain_marginals(X @ W_unary.T, W_pair)
    gold = joint_feature(X, y, K)
    return float(log_Z - chain_score(X, y, W_unary, W_pair)), node.T @ X - gold[: K * D].reshape(K, D), edge.sum(0).T - gold[K * D:].reshape(K, K)


@breaks("crf_nll", cell="test_crf_nll")
def nll_hard_expectation(X, y, W_unary, W_pair):
    """Uses the Viterbi labelling instead of the expectation (a perceptron-style gradient)."""
    K, D = W_unary.shape
    log_Z, _, _ = chain_marginals(X @ W_unary.T, W_pair)
    g = joint_feature(X, viterbi(X @ W_unary.T, W_pair), K) - joint_feature(X, y, K)
    return float(log_Z - chain_score(X, y, W_unary, W_pair)), g[: K * D].reshape(K, D), g[K * D:].reshape(K, K)


@breaks("crf_nll", cell="test_crf_nll")
def nll_probability_space(X, y, W_unary, W_pair):
    """Runs the forward recursion on exp(scores): overflows for large scores."""
    K, D = W_unary.shape
    with np.errstate(all="ignore"):
        phi, psi_pair = np.exp(X @ W_unary.T), np.exp(W_pair)
        alpha = phi[0]
        for t in range(1, len(y)):
            alpha = phi[t] * (alpha @ psi_pair)
        log_Z = float(np.log(np.sum(alpha)))
    _, node, edge = chain_marginals(X @ W_unary.T, W_pair)
    gold = joint_feature(X, y, K)
    return log_Z - chain_score(X, y, W_unary, W_pair), node.T @ X - gold[: K * D].reshape(K, D), edge.sum(0) - gold[K * D:].reshape(K, K)


@breaks("crf_nll", cell="test_crf_nll")
def nll_forgets_gold_features(X, y, W_unary, W_pair):
    """Returns the expected features as the gradient, without subtracting psi(x, y)."""
    log_Z, node, edge = chain_marginals(X @ W_unary.T, W_pair)
    return float(log_Z - chain_score(X, y, W_unary, W_pair)), node.T @ X, edge.sum(0)


# --- train_crf ----------------------------------------------------------------------------------


@breaks("train_crf", cell="test_train_crf")
def crf_without_regulariser(words, K, epochs, lr, reg, seed, callback=None):
    """Forgets the regulariser's gradient."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = crf_nll(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * gu, Wp - lr * gp
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_crf", cell="test_train_crf")
def crf_ascent(words, K, epochs, lr, reg, seed, callback=None):
    """Climbs the negative log-likelihood."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = crf_nll(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu - gu), Wp - lr * (reg * Wp - gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_crf", cell="test_train_crf")
def crf_pair_never_updated(words, K, epochs, lr, reg, seed, callback=None):
    """Updates only the unary weights."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, _ = crf_nll(*words[i], Wu, Wp)
            Wu = Wu - lr * (reg * Wu + gu)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_crf", cell="test_train_crf")
def crf_same_order_every_epoch(words, K, epochs, lr, reg, seed, callback=None):
    """Creates a fresh generator every epoch."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    for epoch in range(1, epochs + 1):
        for i in np.random.default_rng(seed).permutation(len(words)):
            _, gu, gp = crf_nll(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu + gu), Wp - lr * (reg * Wp + gp)
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


@breaks("train_crf", cell="test_train_crf")
def crf_regularises_unary_only(words, K, epochs, lr, reg, seed, callback=None):
    """Applies the regulariser to W_unary but not to W_pair."""
    Wu, Wp = np.zeros((K, words[0][0].shape[1])), np.zeros((K, K))
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        for i in order.permutation(len(words)):
            _, gu, gp = crf_nll(*words[i], Wu, Wp)
            Wu, Wp = Wu - lr * (reg * Wu + gu), Wp - lr * gp
        if callback is not None:
            callback(epoch, Wu, Wp)
    return Wu, Wp


# --- NeuralChainSSVM ----------------------------------------------------------------------------


@breaks("NeuralChainSSVM", cell="test_neural_chain_ssvm")
def net_transitions_not_parameter(K, channels=16, hidden=128):
    """Stores the transitions as a plain tensor: the optimiser never sees them."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.unary = nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(2 * channels * 8, hidden), nn.ReLU(), nn.Linear(hidden, K))
            self.transitions = torch.zeros(K, K, requires_grad=True)

        def forward(self, images):
            return self.unary(images)

    return Net()


@breaks("NeuralChainSSVM", cell="test_neural_chain_ssvm")
def net_random_transitions(K, channels=16, hidden=128):
    """Initialises the transitions at random instead of at zero."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.unary = nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(2 * channels * 8, hidden), nn.ReLU(), nn.Linear(hidden, K))
            self.transitions = nn.Parameter(torch.randn(K, K))

        def forward(self, images):
            return self.unary(images)

    return Net()


@breaks("NeuralChainSSVM", cell="test_neural_chain_ssvm")
def net_softmax_output(K, channels=16, hidden=128):
    """Returns softmax probabilities instead of raw scores."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.unary = nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(2 * channels * 8, hidden), nn.ReLU(), nn.Linear(hidden, K))
            self.transitions = nn.Parameter(torch.zeros(K, K))

        def forward(self, images):
            return torch.softmax(self.unary(images), dim=1)

    return Net()


@breaks("NeuralChainSSVM", cell="test_neural_chain_ssvm")
def net_without_nonlinearities(K, channels=16, hidden=128):
    """Forgets the ReLUs: the whole network is affine."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.unary = nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=1), nn.MaxPool2d(2),
                nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(2 * channels * 8, hidden), nn.Linear(hidden, K))
            self.transitions = nn.Parameter(torch.zeros(K, K))

        def forward(self, images):
            return self.unary(images)

    return Net()


@breaks("NeuralChainSSVM", cell="test_neural_chain_ssvm")
def net_transposed_output(K, channels=16, hidden=128):
    """Returns scores of shape (K, T)."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.unary = nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(2 * channels * 8, hidden), nn.ReLU(), nn.Linear(hidden, K))
            self.transitions = nn.Parameter(torch.zeros(K, K))

        def forward(self, images):
            return self.unary(images).T

    return Net()


@breaks("NeuralChainSSVM", cell="test_neural_chain_ssvm")
def net_same_channels_twice(K, channels=16, hidden=128):
    """Keeps `channels` channels in the second convolution instead of doubling them."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.unary = nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(channels * 8, hidden), nn.ReLU(), nn.Linear(hidden, K))
            self.transitions = nn.Parameter(torch.zeros(K, K))

        def forward(self, images):
            return self.unary(images)

    return Net()


@breaks("NeuralChainSSVM", cell="test_neural_chain_ssvm")
def net_first_padding_two(K, channels=16, hidden=128):
    """Pads the first convolution by 2, not 1: the shapes after pooling (and the parameter count) hide it."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.unary = nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(2 * channels * 8, hidden), nn.ReLU(), nn.Linear(hidden, K))
            self.transitions = nn.Parameter(torch.zeros(K, K))

        def forward(self, images):
            return self.unary(images)

    return Net()


# --- ssvm_loss ----------------------------------------------------------------------------------


@breaks("ssvm_loss", cell="test_ssvm_loss")
def torch_loss_plain_decoding(model, images, y):
    """Decodes without the loss (plain Viterbi), then adds the Hamming loss of that labelling."""
    total = 0
    for image, gold in zip(images, y):
        U = model(image)
        A = model.transitions
        y_hat = torch.as_tensor(viterbi(U.detach().double().numpy(), A.detach().double().numpy()))
        s_hat = U[torch.arange(len(gold)), y_hat].sum() + A[y_hat[:-1], y_hat[1:]].sum()
        s_gold = U[torch.arange(len(gold)), gold].sum() + A[gold[:-1], gold[1:]].sum()
        total = total + s_hat + (y_hat != gold).sum() - s_gold
    return total / len(images)


@breaks("ssvm_loss", cell="test_ssvm_loss")
def torch_loss_at_gold(model, images, y):
    """Adds the loss to the gold label's score in the decoding."""
    total = 0
    for image, gold in zip(images, y):
        U = model(image)
        A = model.transitions
        aug = U.detach().double().numpy().copy()
        aug[np.arange(len(gold)), gold.numpy()] += 1.0
        y_hat = torch.as_tensor(viterbi(aug, A.detach().double().numpy()))
        s_hat = U[torch.arange(len(gold)), y_hat].sum() + A[y_hat[:-1], y_hat[1:]].sum()
        s_gold = U[torch.arange(len(gold)), gold].sum() + A[gold[:-1], gold[1:]].sum()
        total = total + s_hat + (y_hat != gold).sum() - s_gold
    return total / len(images)


@breaks("ssvm_loss", cell="test_ssvm_loss")
def torch_loss_detached_transitions(model, images, y):
    """Scores the transitions with a detached copy: no gradient reaches them."""
    total = 0
    for image, gold in zip(images, y):
        U = model(image)
        A = model.transitions.detach()
        aug = U.detach().double().numpy() + 1.0
        aug[np.arange(len(gold)), gold.numpy()] -= 1.0
        y_hat = torch.as_tensor(viterbi(aug, A.double().numpy()))
        s_hat = U[torch.arange(len(gold)), y_hat].sum() + A[y_hat[:-1], y_hat[1:]].sum()
        s_gold = U[torch.arange(len(gold)), gold].sum() + A[gold[:-1], gold[1:]].sum()
        total = total + s_hat + (y_hat != gold).sum() - s_gold
    return total / len(images)


@breaks("ssvm_loss", cell="test_ssvm_loss")
def torch_loss_summed(model, images, y):
    """Sums the word losses instead of averaging them."""
    total = 0
    for image, gold in zip(images, y):
        U = model(image)
        A = model.transitions
        aug = U.detach().double().numpy() + 1.0
        aug[np.arange(len(gold)), gold.numpy()] -= 1.0
        y_hat = torch.as_tensor(viterbi(aug, A.detach().double().numpy()))
        s_hat = U[torch.arange(len(gold)), y_hat].sum() + A[y_hat[:-1], y_hat[1:]].sum()
        s_gold = U[torch.arange(len(gold)), gold].sum() + A[gold[:-1], gold[1:]].sum()
        total = total + s_hat + (y_hat != gold).sum() - s_gold
    return total


@breaks("ssvm_loss", cell="test_ssvm_loss")
def torch_loss_crosses_words(model, images, y):
    """Treats the batch as one long word: transitions between words are decoded and scored."""
    unary = model(torch.cat(images))
    gold = torch.cat(y)
    aug = unary.detach().double().numpy() + 1.0
    aug[np.arange(len(gold)), gold.numpy()] -= 1.0
    y_hat = torch.as_tensor(viterbi(aug, model.transitions.detach().double().numpy()))
    A = model.transitions
    s_hat = unary[torch.arange(len(gold)), y_hat].sum() + A[y_hat[:-1], y_hat[1:]].sum()
    s_gold = unary[torch.arange(len(gold)), gold].sum() + A[gold[:-1], gold[1:]].sum()
    return (s_hat + (y_hat != gold).sum() - s_gold) / len(images)


@breaks("ssvm_loss", cell="test_ssvm_loss")
def torch_loss_transitions_transposed(model, images, y):
    """Scores the transitions as A[next, previous]."""
    total = 0
    for image, gold in zip(images, y):
        U = model(image)
        A = model.transitions
        aug = U.detach().double().numpy() + 1.0
        aug[np.arange(len(gold)), gold.numpy()] -= 1.0
        y_hat = torch.as_tensor(viterbi(aug, A.detach().double().numpy()))
        s_hat = U[torch.arange(len(gold)), y_hat].sum() + A[y_hat[1:], y_hat[:-1]].sum()
        s_gold = U[torch.arange(len(gold)), gold].sum() + A[gold[1:], gold[:-1]].sum()
        total = total + s_hat + (y_hat != gold).sum() - s_gold
    return total / len(images)


@breaks("ssvm_loss", cell="test_ssvm_loss")
def torch_loss_without_hamming_term(model, images, y):
    """Decodes with the loss but leaves the Hamming term out of the value."""
    total = 0
    for image, gold in zip(images, y):
        U = model(image)
        A = model.transitions
        aug = U.detach().double().numpy() + 1.0
        aug[np.arange(len(gold)), gold.numpy()] -= 1.0
        y_hat = torch.as_tensor(viterbi(aug, A.detach().double().numpy()))
        s_hat = U[torch.arange(len(gold)), y_hat].sum() + A[y_hat[:-1], y_hat[1:]].sum()
        s_gold = U[torch.arange(len(gold)), gold].sum() + A[gold[:-1], gold[1:]].sum()
        total = total + s_hat - s_gold
    return total / len(images)
