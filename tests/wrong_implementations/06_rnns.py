"""Wrong implementations for notebook 06 (recurrent networks); see __init__.py for how they are used.

They run in the notebook's namespace and unpack the reference solution's caches:
rnn_step_forward -> (x, h_prev, Wx, Wh, h); rnn_forward -> [step caches];
lstm_step_forward -> (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c).
"""

import numpy as np
import torch
from torch import nn

from wrong_implementations import breaks

# Names the notebook defines; the wrong versions run in its namespace (placeholders for linters only).
rnn_step_forward = rnn_step_backward = sigmoid = CHAR_TO_ID = VOCAB = None


# --- rnn_step_forward ---------------------------------------------------------------------------


@breaks("rnn_step_forward", cell="test_rnn_step_forward")
def step_sigmoid_activation(x, h_prev, Wx, Wh, b):
    """Uses the logistic sigmoid instead of tanh."""
    h = 0.5 * (1.0 + np.tanh(0.5 * (x @ Wx + h_prev @ Wh + b)))
    return h, (x, h_prev, Wx, Wh, h)


@breaks("rnn_step_forward", cell="test_rnn_step_forward")
def step_without_bias(x, h_prev, Wx, Wh, b):
    """Forgets the bias."""
    h = np.tanh(x @ Wx + h_prev @ Wh)
    return h, (x, h_prev, Wx, Wh, h)


@breaks("rnn_step_forward", cell="test_rnn_step_forward")
def step_transposed_recurrent_weights(x, h_prev, Wx, Wh, b):
    """Multiplies by Wh.T (the column-vector convention mixed with row vectors)."""
    h = np.tanh(x @ Wx + h_prev @ Wh.T + b)
    return h, (x, h_prev, Wx, Wh, h)


@breaks("rnn_step_forward", cell="test_rnn_step_forward")
def step_no_recurrence(x, h_prev, Wx, Wh, b):
    """Ignores the previous state."""
    h = np.tanh(x @ Wx + b)
    return h, (x, h_prev, Wx, Wh, h)


@breaks("rnn_step_forward", cell="test_rnn_step_forward")
def step_returns_preactivation(x, h_prev, Wx, Wh, b):
    """Returns the pre-activation, without tanh."""
    h = x @ Wx + h_prev @ Wh + b
    return h, (x, h_prev, Wx, Wh, h)


# --- rnn_step_backward --------------------------------------------------------------------------


@breaks("rnn_step_backward", cell="test_rnn_step_backward")
def step_back_missing_tanh_derivative(dh, cache):
    """Backpropagates dh straight into the affine map (no tanh derivative)."""
    x, h_prev, Wx, Wh, h = cache
    return dh @ Wx.T, dh @ Wh.T, x.T @ dh, h_prev.T @ dh, dh.sum(axis=0)


@breaks("rnn_step_backward", cell="test_rnn_step_backward")
def step_back_derivative_not_squared(dh, cache):
    """Uses 1 - h instead of 1 - h**2 for the tanh derivative."""
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1.0 - h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


@breaks("rnn_step_backward", cell="test_rnn_step_backward")
def step_back_untransposed_recurrent(dh, cache):
    """dh_prev = da @ Wh instead of da @ Wh.T."""
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1.0 - h**2)
    return da @ Wx.T, da @ Wh, x.T @ da, h_prev.T @ da, da.sum(axis=0)


@breaks("rnn_step_backward", cell="test_rnn_step_backward")
def step_back_mean_bias(dh, cache):
    """Averages db over the batch instead of summing."""
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1.0 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.mean(axis=0)


@breaks("rnn_step_backward", cell="test_rnn_step_backward")
def step_back_weights_skip_derivative(dh, cache):
    """Applies the tanh derivative to dx and dh_prev but not to the weight gradients."""
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1.0 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ dh, h_prev.T @ dh, dh.sum(axis=0)


# --- rnn_forward --------------------------------------------------------------------------------


@breaks("rnn_forward", cell="test_rnn_forward")
def forward_ignores_h0(x, h0, Wx, Wh, b):
    """Starts from a zero state whatever h0 is."""
    N, T, _ = x.shape
    h, caches, state = np.zeros((N, T, h0.shape[1])), [], np.zeros_like(h0)
    for t in range(T):
        state, cache = rnn_step_forward(x[:, t], state, Wx, Wh, b)
        h[:, t] = state
        caches.append(cache)
    return h, caches


@breaks("rnn_forward", cell="test_rnn_forward")
def forward_no_carry(x, h0, Wx, Wh, b):
    """Feeds h0 to every step instead of the previous state."""
    N, T, _ = x.shape
    h, caches = np.zeros((N, T, h0.shape[1])), []
    for t in range(T):
        state, cache = rnn_step_forward(x[:, t], h0, Wx, Wh, b)
        h[:, t] = state
        caches.append(cache)
    return h, caches


@breaks("rnn_forward", cell="test_rnn_forward")
def forward_reversed_time(x, h0, Wx, Wh, b):
    """Reads the sequence from the end."""
    N, T, _ = x.shape
    h, caches, state = np.zeros((N, T, h0.shape[1])), [], h0
    for t in reversed(range(T)):
        state, cache = rnn_step_forward(x[:, t], state, Wx, Wh, b)
        h[:, t] = state
        caches.append(cache)
    return h, caches[::-1]


@breaks("rnn_forward", cell="test_rnn_forward")
def forward_off_by_one(x, h0, Wx, Wh, b):
    """Stores the state before each step (h[:, 0] = h0)."""
    N, T, _ = x.shape
    h, caches, state = np.zeros((N, T, h0.shape[1])), [], h0
    for t in range(T):
        h[:, t] = state
        state, cache = rnn_step_forward(x[:, t], state, Wx, Wh, b)
        caches.append(cache)
    return h, caches


@breaks("rnn_forward", cell="test_rnn_forward")
def forward_time_major(x, h0, Wx, Wh, b):
    """Returns h as (T, N, H)."""
    N, T, _ = x.shape
    h, caches, state = np.zeros((T, N, h0.shape[1])), [], h0
    for t in range(T):
        state, cache = rnn_step_forward(x[:, t], state, Wx, Wh, b)
        h[t] = state
        caches.append(cache)
    return h, caches


# --- rnn_backward -------------------------------------------------------------------------------


@breaks("rnn_backward", cell="test_rnn_backward")
def backward_not_summed_over_time(dh, cache):
    """Overwrites the weight gradients at every step instead of summing them over time."""
    dh_next, dxs = np.zeros_like(dh[:, 0]), []
    for t in reversed(range(dh.shape[1])):
        dx_t, dh_next, dWx, dWh, db = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dxs.append(dx_t)
    return np.stack(dxs[::-1], axis=1), dh_next, dWx, dWh, db


@breaks("rnn_backward", cell="test_rnn_backward")
def backward_no_recurrent_term(dh, cache):
    """The gradient at h_t is dh[:, t] only: what flows back from h_{t+1} is dropped."""
    dxs, dWx, dWh, db = [], 0.0, 0.0, 0.0
    dh_prev = np.zeros_like(dh[:, 0])
    for t in reversed(range(dh.shape[1])):
        dx_t, dh_prev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t], cache[t])
        dxs.append(dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dxs[::-1], axis=1), dh_prev, dWx, dWh, db


@breaks("rnn_backward", cell="test_rnn_backward")
def backward_only_last_output(dh, cache):
    """Uses the upstream gradient of the last step only, then just the recurrence."""
    dh_next, dxs, dWx, dWh, db = dh[:, -1], [], 0.0, 0.0, 0.0
    for t in reversed(range(dh.shape[1])):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh_next, cache[t])
        dxs.append(dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dxs[::-1], axis=1), dh_next, dWx, dWh, db


@breaks("rnn_backward", cell="test_rnn_backward")
def backward_forward_in_time(dh, cache):
    """Loops forwards in time, carrying the gradient the wrong way."""
    dh_next, dxs, dWx, dWh, db = np.zeros_like(dh[:, 0]), [], 0.0, 0.0, 0.0
    for t in range(dh.shape[1]):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dxs.append(dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dxs, axis=1), dh_next, dWx, dWh, db


@breaks("rnn_backward", cell="test_rnn_backward")
def backward_zero_dh0(dh, cache):
    """Returns zeros for dh0."""
    dh_next, dxs, dWx, dWh, db = np.zeros_like(dh[:, 0]), [], 0.0, 0.0, 0.0
    for t in reversed(range(dh.shape[1])):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dxs.append(dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dxs[::-1], axis=1), np.zeros_like(dh_next), dWx, dWh, db


@breaks("rnn_backward", cell="test_rnn_backward")
def backward_dx_reversed(dh, cache):
    """Stacks dx in the order it was computed (last step first)."""
    dh_next, dxs, dWx, dWh, db = np.zeros_like(dh[:, 0]), [], 0.0, 0.0, 0.0
    for t in reversed(range(dh.shape[1])):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dxs.append(dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dxs, axis=1), dh_next, dWx, dWh, db


# --- clip_grad_norm -----------------------------------------------------------------------------


@breaks("clip_grad_norm", cell="test_clip_grad_norm")
def clip_per_array(grads, max_norm):
    """Clips every array by its own norm (changes the direction of the whole gradient)."""
    out = []
    for g in grads:
        norm = np.linalg.norm(g)
        out.append(g * (max_norm / norm) if norm > max_norm else g.copy())
    return out


@breaks("clip_grad_norm", cell="test_clip_grad_norm")
def clip_always_rescales(grads, max_norm):
    """Rescales to max_norm even when the norm is already below it."""
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * (max_norm / total) if total > 0 else g.copy() for g in grads]


@breaks("clip_grad_norm", cell="test_clip_grad_norm")
def clip_elementwise(grads, max_norm):
    """Clips each entry to [-max_norm, max_norm] (clipping by value, not by norm)."""
    return [np.clip(g, -max_norm, max_norm) for g in grads]


@breaks("clip_grad_norm", cell="test_clip_grad_norm")
def clip_squared_norm(grads, max_norm):
    """Compares and divides by the squared norm (forgets the square root)."""
    total = sum(np.sum(g**2) for g in grads)
    scale = max_norm / total if total > max_norm else 1.0
    return [g * scale for g in grads]


@breaks("clip_grad_norm", cell="test_clip_grad_norm")
def clip_in_place(grads, max_norm):
    """Scales the input arrays in place."""
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return grads


@breaks("clip_grad_norm", cell="test_clip_grad_norm")
def clip_l1_norm(grads, max_norm):
    """Uses the L1 norm (sum of absolute values)."""
    total = sum(np.sum(np.abs(g)) for g in grads)
    scale = max_norm / total if total > max_norm else 1.0
    return [g * scale for g in grads]


@breaks("clip_grad_norm", cell="test_clip_grad_norm")
def clip_inverted_ratio(grads, max_norm):
    """Multiplies by total_norm / max_norm instead of max_norm / total_norm."""
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = total / max_norm if total > max_norm else 1.0
    return [g * scale for g in grads]


# --- lstm_step_forward --------------------------------------------------------------------------


@breaks("lstm_step_forward", cell="test_lstm_step_forward")
def lstm_ifog_order(x, h_prev, c_prev, Wx, Wh, b):
    """Reads the gates in the order i, f, o, g (CS231n's) instead of torch's i, f, g, o."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


@breaks("lstm_step_forward", cell="test_lstm_step_forward")
def lstm_forget_gate_on_input(x, h_prev, c_prev, Wx, Wh, b):
    """Applies the forget gate to the candidate and the input gate to the old cell."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = i * c_prev + f * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


@breaks("lstm_step_forward", cell="test_lstm_step_forward")
def lstm_no_tanh_on_cell(x, h_prev, c_prev, Wx, Wh, b):
    """h = o * c, without the tanh."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    h = o * c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


@breaks("lstm_step_forward", cell="test_lstm_step_forward")
def lstm_sigmoid_candidate(x, h_prev, c_prev, Wx, Wh, b):
    """Uses a sigmoid for the cell candidate g instead of tanh."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


@breaks("lstm_step_forward", cell="test_lstm_step_forward")
def lstm_fiog_order(x, h_prev, c_prev, Wx, Wh, b):
    """Reads the first two blocks as forget, then input (swapped)."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    f, i, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


# --- lstm_step_backward -------------------------------------------------------------------------


@breaks("lstm_step_backward", cell="test_lstm_step_backward")
def lstm_back_missing_tanh_derivative(dh, dc, cache):
    """The path from h to c skips the derivative of tanh(c)."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    do = dh * np.tanh(c)
    dct = dc + dh * o
    da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g**2), do * o * (1 - o)], axis=1)
    dx, dh_prev, dWx, dWh, db = da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    return dx, dh_prev, dct * f, dWx, dWh, db


@breaks("lstm_step_backward", cell="test_lstm_step_backward")
def lstm_back_dc_prev_without_forget(dh, dc, cache):
    """dc_prev = total dc, forgetting the factor f."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dct = dc + dh * o * (1 - tc**2)
    da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dct, x.T @ da, h_prev.T @ da, da.sum(axis=0)


@breaks("lstm_step_backward", cell="test_lstm_step_backward")
def lstm_back_ignores_upstream_dc(dh, dc, cache):
    """Drops the dc coming from later steps."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dct = dh * o * (1 - tc**2)
    da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dct * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


@breaks("lstm_step_backward", cell="test_lstm_step_backward")
def lstm_back_sigmoid_derivative_for_g(dh, dc, cache):
    """Uses g (1 - g) for the candidate's derivative instead of 1 - g**2."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dct = dc + dh * o * (1 - tc**2)
    da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * g * (1 - g), dh * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dct * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


@breaks("lstm_step_backward", cell="test_lstm_step_backward")
def lstm_back_ifog_blocks(dh, dc, cache):
    """Assembles the pre-activation gradient in the order i, f, o, g."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dct = dc + dh * o * (1 - tc**2)
    da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dh * tc * o * (1 - o), dct * i * (1 - g**2)], axis=1)
    return da @ Wx.T, da @ Wh.T, dct * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


@breaks("lstm_step_backward", cell="test_lstm_step_backward")
def lstm_back_no_path_from_h_to_c(dh, dc, cache):
    """Only the upstream dc reaches the cell: the dependence of h on c is ignored."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dct = dc
    da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dct * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


# --- gru_step_forward ---------------------------------------------------------------------------


@breaks("gru_step_forward", cell="test_gru_step_forward")
def gru_zrn_order(x, h_prev, Wx, Wh, bx, bh):
    """Reads the blocks as update, reset, new."""
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    z, r = sigmoid(ax[:, :H] + ah[:, :H]), sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev


@breaks("gru_step_forward", cell="test_gru_step_forward")
def gru_update_swapped(x, h_prev, Wx, Wh, bx, bh):
    """h = z * n + (1 - z) * h_prev (the other convention for z)."""
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    r, z = sigmoid(ax[:, :H] + ah[:, :H]), sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return z * n + (1 - z) * h_prev


@breaks("gru_step_forward", cell="test_gru_step_forward")
def gru_reset_before_product(x, h_prev, Wx, Wh, bx, bh):
    """Applies the reset gate to h_prev before the matrix product (the original paper, not torch)."""
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh + bh
    r, z = sigmoid(ax[:, :H] + ah[:, :H]), sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + bh[2 * H:])
    return (1 - z) * n + z * h_prev


@breaks("gru_step_forward", cell="test_gru_step_forward")
def gru_hidden_bias_outside_reset(x, h_prev, Wx, Wh, bx, bh):
    """Adds the hidden bias of n outside the reset gate: r * (h Wh_n) + bh_n."""
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh
    r, z = sigmoid(ax[:, :H] + ah[:, :H] + bh[:H]), sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H] + bh[H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:] + bh[2 * H:])
    return (1 - z) * n + z * h_prev


@breaks("gru_step_forward", cell="test_gru_step_forward")
def gru_ignores_hidden_bias(x, h_prev, Wx, Wh, bx, bh):
    """Forgets bh."""
    H = h_prev.shape[1]
    ax, ah = x @ Wx + bx, h_prev @ Wh
    r, z = sigmoid(ax[:, :H] + ah[:, :H]), sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev


# --- CharLSTM -----------------------------------------------------------------------------------
# Factories returning a module (the registry reads sources of functions; CharLSTM(...) still builds a model).


@breaks("CharLSTM", cell="test_char_lm_trained")
@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_ignores_state(vocab_size, embed_dim, hidden_dim, num_layers=1, dropout=0.0):
    """Always starts from a zero state (the state argument is ignored)."""
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
            self.head = nn.Linear(hidden_dim, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx))
            return self.head(out), state
    return Model()


@breaks("CharLSTM", cell="test_char_lm_trained")
@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_bidirectional(vocab_size, embed_dim, hidden_dim, num_layers=1, dropout=0.0):
    """A bidirectional LSTM: sees the future."""
    half = max(1, hidden_dim // 2)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, half, num_layers=num_layers, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * half, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx), state)
            return self.head(out), state
    return Model()


@breaks("CharLSTM", cell="test_char_lm_trained")
@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_time_major(vocab_size, embed_dim, hidden_dim, num_layers=1, dropout=0.0):
    """Forgets batch_first=True: reads (N, T) as (T, N)."""
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, dropout=dropout if num_layers > 1 else 0.0)
            self.head = nn.Linear(hidden_dim, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx), state)
            return self.head(out), state
    return Model()


@breaks("CharLSTM", cell="test_char_lm_trained")
@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_softmax_output(vocab_size, embed_dim, hidden_dim, num_layers=1, dropout=0.0):
    """Returns probabilities instead of logits."""
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
            self.head = nn.Linear(hidden_dim, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx), state)
            return torch.softmax(self.head(out), dim=-1), state
    return Model()


@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_one_layer(vocab_size, embed_dim, hidden_dim, num_layers=1, dropout=0.0):
    """Ignores num_layers (always one layer)."""
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
            self.head = nn.Linear(hidden_dim, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx), state)
            return self.head(out), state
    return Model()


@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_one_hot_input(vocab_size, embed_dim, hidden_dim, num_layers=1, dropout=0.0):
    """One-hot inputs through a Linear layer with a bias instead of an Embedding (a different architecture)."""
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
            self.head = nn.Linear(hidden_dim, vocab_size)

        def forward(self, idx, state=None):
            one_hot = torch.nn.functional.one_hot(idx, vocab_size).float()
            out, state = self.lstm(self.embed(one_hot), state)
            return self.head(out), state
    return Model()


@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_drops_dropout(vocab_size, embed_dim, hidden_dim, num_layers=1, dropout=0.0):
    """Never passes dropout to nn.LSTM, so a two-layer model trains without the dropout it was given."""
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True)
            self.head = nn.Linear(hidden_dim, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx), state)
            return self.head(out), state
    return Model()


@breaks("CharLSTM", cell="test_char_lstm")
def char_lstm_two_layers_by_default(vocab_size, embed_dim, hidden_dim, num_layers=2, dropout=0.0):
    """Defaults to two LSTM layers instead of one."""
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
            self.head = nn.Linear(hidden_dim, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx), state)
            return self.head(out), state
    return Model()


# --- sample -------------------------------------------------------------------------------------


@breaks("sample", cell="test_sample")
def sample_inverted_temperature(model, prefix, length, temperature=1.0, generator=None):
    """Multiplies the logits by the temperature instead of dividing."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float() * temperature, dim=-1)
            nxt = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    return prefix + "".join(VOCAB[i] for i in out)


@breaks("sample", cell="test_sample")
def sample_ignores_temperature(model, prefix, length, temperature=1.0, generator=None):
    """Never uses the temperature."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float(), dim=-1)
            nxt = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    return prefix + "".join(VOCAB[i] for i in out)


@breaks("sample", cell="test_sample")
def sample_greedy(model, prefix, length, temperature=1.0, generator=None):
    """Takes the argmax instead of sampling."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        for _ in range(length):
            nxt = int(torch.argmax(logits[0, -1]))
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    return prefix + "".join(VOCAB[i] for i in out)


@breaks("sample", cell="test_sample")
def sample_drops_state(model, prefix, length, temperature=1.0, generator=None):
    """Feeds each new character with state None (forgets the context)."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        logits, _ = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float() / temperature, dim=-1)
            nxt = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            out.append(nxt)
            logits, _ = model(torch.tensor([[nxt]], device=device), None)
    return prefix + "".join(VOCAB[i] for i in out)


@breaks("sample", cell="test_sample")
def sample_feeds_prefix_again(model, prefix, length, temperature=1.0, generator=None):
    """Feeds the last prefix character at every step instead of the sampled one."""
    device = next(model.parameters()).device
    model.eval()
    out, last = [], CHAR_TO_ID[prefix[-1]]
    with torch.no_grad():
        logits, state = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float() / temperature, dim=-1)
            out.append(int(torch.multinomial(probs.cpu(), 1, generator=generator)))
            logits, state = model(torch.tensor([[last]], device=device), state)
    return prefix + "".join(VOCAB[i] for i in out)


@breaks("sample", cell="test_sample")
def sample_without_prefix(model, prefix, length, temperature=1.0, generator=None):
    """Returns only the generated characters."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float() / temperature, dim=-1)
            nxt = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    return "".join(VOCAB[i] for i in out)


@breaks("sample", cell="test_sample")
def sample_global_rng(model, prefix, length, temperature=1.0, generator=None):
    """Ignores the generator argument (draws from torch's global generator)."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float() / temperature, dim=-1)
            nxt = int(torch.multinomial(probs.cpu(), 1))
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    return prefix + "".join(VOCAB[i] for i in out)


@breaks("sample", cell="test_sample")
def sample_first_position_logits(model, prefix, length, temperature=1.0, generator=None):
    """Starts from the logits at the first prefix position instead of the last."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        logits, state = model(torch.tensor([[CHAR_TO_ID[ch] for ch in prefix]], device=device), None)
        logits = logits[:, :1]
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float() / temperature, dim=-1)
            nxt = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    return prefix + "".join(VOCAB[i] for i in out)


# --- beam_search --------------------------------------------------------------------------------


@breaks("beam_search", cell="test_beam_search")
def beam_keeps_one_hypothesis(log_prob_fn, start_state, beam_size, max_len, eos):
    """Keeps only the best hypothesis at every step, whatever beam_size is (greedy)."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        candidates = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], score + float(lp), new_state) for v, lp in enumerate(log_probs)]
        kept = sorted(candidates, key=lambda c: -c[1])[:1]
        finished += [c for c in kept if c[0][-1] == eos]
        beam = [c for c in kept if c[0][-1] != eos]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1])[:beam_size]]


@breaks("beam_search", cell="test_beam_search")
def beam_last_token_only(log_prob_fn, start_state, beam_size, max_len, eos):
    """Scores each hypothesis by the log-probability of its last token only (not accumulated)."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        candidates = []
        for tokens, _score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], float(lp), new_state) for v, lp in enumerate(log_probs)]
        kept = sorted(candidates, key=lambda c: -c[1])[:beam_size]
        finished += [c for c in kept if c[0][-1] == eos]
        beam = [c for c in kept if c[0][-1] != eos]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1])[:beam_size]]


@breaks("beam_search", cell="test_beam_search")
def beam_adds_probabilities(log_prob_fn, start_state, beam_size, max_len, eos):
    """Adds probabilities instead of log-probabilities."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        candidates = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], score + float(np.exp(lp)), new_state) for v, lp in enumerate(log_probs)]
        kept = sorted(candidates, key=lambda c: -c[1])[:beam_size]
        finished += [c for c in kept if c[0][-1] == eos]
        beam = [c for c in kept if c[0][-1] != eos]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1])[:beam_size]]


@breaks("beam_search", cell="test_beam_search")
def beam_ignores_eos(log_prob_fn, start_state, beam_size, max_len, eos):
    """Keeps extending hypotheses after eos."""
    beam = [([], 0.0, start_state)]
    for _ in range(max_len):
        candidates = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], score + float(lp), new_state) for v, lp in enumerate(log_probs)]
        beam = sorted(candidates, key=lambda c: -c[1])[:beam_size]
    return [(t, s) for t, s, _ in beam]


@breaks("beam_search", cell="test_beam_search")
def beam_worst_first(log_prob_fn, start_state, beam_size, max_len, eos):
    """Returns the hypotheses in increasing order of log-probability."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        candidates = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], score + float(lp), new_state) for v, lp in enumerate(log_probs)]
        kept = sorted(candidates, key=lambda c: -c[1])[:beam_size]
        finished += [c for c in kept if c[0][-1] == eos]
        beam = [c for c in kept if c[0][-1] != eos]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1])[:beam_size]][::-1]


@breaks("beam_search", cell="test_beam_search")
def beam_length_normalised(log_prob_fn, start_state, beam_size, max_len, eos):
    """Ranks hypotheses by their average log-probability per token."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        candidates = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], score + float(lp), new_state) for v, lp in enumerate(log_probs)]
        kept = sorted(candidates, key=lambda c: -c[1] / len(c[0]))[:beam_size]
        finished += [c for c in kept if c[0][-1] == eos]
        beam = [c for c in kept if c[0][-1] != eos]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1] / len(c[0]))[:beam_size]]


@breaks("beam_search", cell="test_beam_search")
def beam_top_k_per_hypothesis(log_prob_fn, start_state, beam_size, max_len, eos):
    """Keeps the beam_size best extensions of every hypothesis (the beam grows to K * K and more)."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        kept = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            extensions = [(tokens + [v], score + float(lp), new_state) for v, lp in enumerate(log_probs)]
            kept += sorted(extensions, key=lambda c: -c[1])[:beam_size]
        finished += [c for c in kept if c[0][-1] == eos]
        beam = [c for c in kept if c[0][-1] != eos]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1])[:beam_size]]


@breaks("beam_search", cell="test_beam_search")
def beam_finished_take_no_slot(log_prob_fn, start_state, beam_size, max_len, eos):
    """Keeps beam_size unfinished hypotheses at every step (finished ones do not take a slot)."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        candidates = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], score + float(lp), new_state) for v, lp in enumerate(log_probs)]
        ranked = sorted(candidates, key=lambda c: -c[1])
        finished += [c for c in ranked[:beam_size] if c[0][-1] == eos]
        beam = [c for c in ranked if c[0][-1] != eos][:beam_size]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1])[:beam_size]]


@breaks("beam_search", cell="test_beam_search")
def beam_argpartition_one_short(log_prob_fn, start_state, beam_size, max_len, eos):
    """Partitions around the (beam_size - 1)-th candidate, not the beam_size-th: the last kept one can be wrong."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        sequences, scores, states = [], [], []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            sequences.append(tokens)
            scores.append(score + np.asarray(log_probs, dtype=float))
            states.append(new_state)
        scores = np.stack(scores)
        n_keep = min(beam_size, scores.size)
        flat = np.argpartition(-scores.ravel(), max(n_keep - 2, 0))[:n_keep]
        beam = []
        for index in flat[np.argsort(-scores.ravel()[flat])]:
            parent, token = divmod(int(index), scores.shape[1])
            hypothesis = (sequences[parent] + [token], float(scores[parent, token]), states[parent])
            (finished if token == eos else beam).append(hypothesis)
        if not beam:
            break
    finished += beam
    finished.sort(key=lambda hypothesis: -hypothesis[1])
    return [(tokens, score) for tokens, score, _ in finished[:beam_size]]


@breaks("beam_search", cell="test_beam_search")
def beam_keeps_one_extra(log_prob_fn, start_state, beam_size, max_len, eos):
    """Keeps beam_size + 1 candidates at every step (an off-by-one slice): a wider beam than asked, often the same answer."""
    beam, finished = [([], 0.0, start_state)], []
    for _ in range(max_len):
        candidates = []
        for tokens, score, state in beam:
            log_probs, new_state = log_prob_fn(state, tokens[-1] if tokens else None)
            candidates += [(tokens + [v], score + float(lp), new_state) for v, lp in enumerate(log_probs)]
        kept = sorted(candidates, key=lambda c: -c[1])[:beam_size + 1]
        finished += [c for c in kept if c[0][-1] == eos]
        beam = [c for c in kept if c[0][-1] != eos]
        if not beam:
            break
    return [(t, s) for t, s, _ in sorted(finished + beam, key=lambda c: -c[1])[:beam_size]]


# --- bso_loss ------------------------------------------------------------------------------------


@breaks("bso_loss", cell="test_bso_loss")
def bso_loss_all_steps(gold_scores, beam_scores, costs, violations):
    """Sums the margin terms over every step, not only the violations."""
    return (costs * (1 - gold_scores + beam_scores)).sum()


@breaks("bso_loss", cell="test_bso_loss")
def bso_loss_mask_multiplied(gold_scores, beam_scores, costs, violations):
    """Multiplies by the 0/1 mask: 0 * -inf gives NaN at steps without a competitor."""
    return (violations * costs * (1 - gold_scores + beam_scores)).sum()


@breaks("bso_loss", cell="test_bso_loss")
def bso_loss_ignores_costs(gold_scores, beam_scores, costs, violations):
    """Forgets the cost Delta: every violation counts 1 * margin term."""
    return (1 - gold_scores[violations] + beam_scores[violations]).sum()


@breaks("bso_loss", cell="test_bso_trained")
@breaks("bso_loss", cell="test_bso_loss")
def bso_loss_sign_flipped(gold_scores, beam_scores, costs, violations):
    """Rewards the competitor: 1 + gold - competitor."""
    return (costs[violations] * (1 + gold_scores[violations] - beam_scores[violations])).sum()


@breaks("bso_loss", cell="test_bso_trained")
@breaks("bso_loss", cell="test_bso_loss")
def bso_loss_mean(gold_scores, beam_scores, costs, violations):
    """Averages over all steps instead of summing over the violations."""
    terms = costs[violations] * (1 - gold_scores[violations] + beam_scores[violations])
    return terms.sum() / len(gold_scores)


@breaks("bso_loss", cell="test_bso_trained")
@breaks("bso_loss", cell="test_bso_loss")
def bso_loss_python_float(gold_scores, beam_scores, costs, violations):
    """Returns a Python float also for tensors: the autograd graph is lost."""
    return float((costs[violations] * (1 - gold_scores[violations] + beam_scores[violations])).sum())


# --- find_violations -----------------------------------------------------------------------------


def _violations_variant(score_fn, gold, beam_size, reset=True, competitor="kth_incorrect", last_rule=True, margin=1.0,
                        keep_beam_on_reset=False, stop_at_first=False):
    """The reference search with one rule changed (shared by the wrong versions below)."""
    gold = tuple(int(v) for v in gold)
    T = len(gold)
    gold_scores, beam_scores = np.zeros(T), np.full(T, -np.inf)
    violations = np.zeros(T, dtype=bool)
    beams, parents = [], [()]
    for t in range(T):
        candidates = []
        for prefix in parents:
            scores = np.asarray(score_fn(prefix), dtype=float)
            candidates += [(prefix + (v,), float(s)) for v, s in enumerate(scores)]
        candidates.sort(key=lambda c: -c[1])
        gold_prefix = gold[:t + 1]
        gold_scores[t] = next(s for p, s in candidates if p == gold_prefix)
        rank = 1 if (t == T - 1 and last_rule) else beam_size
        if competitor == "kth_ranked":  # the K-th of the beam, possibly the gold prefix itself
            pool = [s for _, s in candidates]
        else:
            pool = [s for p, s in candidates if p != gold_prefix]
        if len(pool) >= rank:
            beam_scores[t] = pool[rank - 1]
        violations[t] = gold_scores[t] < beam_scores[t] + margin
        beams.append([p for p, _ in candidates[:beam_size]])
        if stop_at_first and violations[t]:
            return gold_scores[:t + 1], beam_scores[:t + 1], violations[:t + 1], beams
        if violations[t] and reset:
            parents = beams[-1] + [gold_prefix] if keep_beam_on_reset else [gold_prefix]
        else:
            parents = beams[-1]
    return gold_scores, beam_scores, violations, beams


@breaks("find_violations", cell="test_find_violations")
def violations_without_reset(score_fn, gold, beam_size):
    """No LaSO reset: after a violation the search goes on from the beam that lost the gold."""
    return _violations_variant(score_fn, gold, beam_size, reset=False)


@breaks("find_violations", cell="test_find_violations")
def violations_kth_of_beam(score_fn, gold, beam_size):
    """Competitor = the K-th ranked candidate, even when that is the gold prefix itself."""
    return _violations_variant(score_fn, gold, beam_size, competitor="kth_ranked")


@breaks("find_violations", cell="test_find_violations")
def violations_no_last_step_rule(score_fn, gold, beam_size):
    """Uses the K-th best incorrect candidate at the last step too (the full gold need not be first)."""
    return _violations_variant(score_fn, gold, beam_size, last_rule=False)


@breaks("find_violations", cell="test_find_violations")
def violations_without_margin(score_fn, gold, beam_size):
    """A violation only when the gold is below the competitor (margin 0 instead of 1)."""
    return _violations_variant(score_fn, gold, beam_size, margin=0.0)


@breaks("find_violations", cell="test_find_violations")
def violations_gold_added_to_beam(score_fn, gold, beam_size):
    """After a violation adds the gold prefix to the beam instead of replacing the beam by it."""
    return _violations_variant(score_fn, gold, beam_size, keep_beam_on_reset=True)


@breaks("find_violations", cell="test_find_violations")
def violations_early_update(score_fn, gold, beam_size):
    """Early update: stops at the first violation (the lecture follows LaSO and goes on)."""
    return _violations_variant(score_fn, gold, beam_size, stop_at_first=True)
