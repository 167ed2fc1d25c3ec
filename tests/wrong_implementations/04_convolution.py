"""Wrong implementations for notebook 04 (convolution); see __init__.py for how they are used.

They run in the notebook's namespace: `np`, `torch` and the reference solutions of earlier
exercises (e.g. `im2col`, `conv2d_naive`, `conv2d_im2col`) are available there.
"""

import numpy as np

from wrong_implementations import breaks

# --- conv_output_size ---------------------------------------------------------------------------


@breaks("conv_output_size", cell="test_conv_output_size")
def output_size_floors(n, k, stride=1, pad=0):
    """Rounds down like PyTorch instead of raising when the windows do not tile."""
    return (n + 2 * pad - k) // stride + 1


@breaks("conv_output_size", cell="test_conv_output_size")
def output_size_pad_once(n, k, stride=1, pad=0):
    """Counts the padding on one side only."""
    span = n + pad - k
    if span < 0 or span % stride:
        raise ValueError("does not tile")
    return span // stride + 1


@breaks("conv_output_size", cell="test_conv_output_size")
def output_size_without_plus_one(n, k, stride=1, pad=0):
    """Forgets the + 1 (counts steps, not positions)."""
    span = n + 2 * pad - k
    if span < 0 or span % stride:
        raise ValueError("does not tile")
    return span // stride


@breaks("conv_output_size", cell="test_conv_output_size")
def output_size_float(n, k, stride=1, pad=0):
    """Returns a float from true division."""
    span = n + 2 * pad - k
    if span < 0 or span % stride:
        raise ValueError("does not tile")
    return span / stride + 1


@breaks("conv_output_size", cell="test_conv_output_size")
def output_size_no_fit_check(n, k, stride=1, pad=0):
    """Checks divisibility but not that the window fits (returns 0 or negative sizes)."""
    span = n + 2 * pad - k
    if span % stride:
        raise ValueError("does not tile")
    return span // stride + 1


# --- conv_layer_params --------------------------------------------------------------------------


@breaks("conv_layer_params", cell="test_conv_layer_params")
def params_forget_input_depth(in_channels, out_channels, kernel_size, bias=True):
    """Filters as 2-D kernels: forgets that each spans all input channels."""
    kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    return out_channels * (kh * kw + int(bias))


@breaks("conv_layer_params", cell="test_conv_layer_params")
def params_bias_per_input_channel(in_channels, out_channels, kernel_size, bias=True):
    """One bias per (filter, input channel) pair instead of one per filter."""
    kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    return out_channels * in_channels * (kh * kw + int(bias))


@breaks("conv_layer_params", cell="test_conv_layer_params")
def params_ignore_bias_flag(in_channels, out_channels, kernel_size, bias=True):
    """Always counts the biases."""
    kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    return out_channels * (in_channels * kh * kw + 1)


@breaks("conv_layer_params", cell="test_conv_layer_params")
def params_square_of_first_side(in_channels, out_channels, kernel_size, bias=True):
    """For a pair (kh, kw), uses kh * kh."""
    k = kernel_size[0] if isinstance(kernel_size, (tuple, list)) else kernel_size
    return out_channels * (in_channels * k * k + int(bias))


@breaks("conv_layer_params", cell="test_conv_layer_params")
def params_one_bias_for_layer(in_channels, out_channels, kernel_size, bias=True):
    """One bias for the whole layer instead of one per filter."""
    kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    return out_channels * in_channels * kh * kw + int(bias)


# --- conv2d_naive -------------------------------------------------------------------------------


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_flipped_kernel(x, w, b, stride=1, pad=0):
    """True convolution: the kernel is rotated by 180 degrees."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    patch = x_pad[n, :, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]
                    out[n, f, y, x_] = np.sum(patch * w[f, :, ::-1, ::-1]) + b[f]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_pad_one_side(x, w, b, stride=1, pad=0):
    """Puts all 2 * pad zeros after the image (bottom and right) instead of pad on each side."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    patch = x_pad[n, :, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]
                    out[n, f, y, x_] = np.sum(patch * w[f]) + b[f]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_pad_height_only(x, w, b, stride=1, pad=0):
    """Pads the top and bottom but not the left and right."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (0, 0)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    patch = x_pad[n, :, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]
                    out[n, f, y, x_] = np.sum(patch * w[f]) + b[f]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_stride_ignored_in_positions(x, w, b, stride=1, pad=0):
    """Right output size, but window (y, x) starts at (y, x) instead of (y * stride, x * stride)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    out[n, f, y, x_] = np.sum(x_pad[n, :, y:y + HH, x_:x_ + WW] * w[f]) + b[f]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_bias_per_input_channel(x, w, b, stride=1, pad=0):
    """Adds the bias once per input channel (C * b[f]) by summing channel by channel."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    for c in range(C):
                        patch = x_pad[n, c, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]
                        out[n, f, y, x_] += np.sum(patch * w[f, c]) + b[f]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_bias_indexed_by_image(x, w, b, stride=1, pad=0):
    """Adds b[n % F] (a bias per image) instead of b[f]."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    patch = x_pad[n, :, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]
                    out[n, f, y, x_] = np.sum(patch * w[f]) + b[n % F]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_transposed_kernel(x, w, b, stride=1, pad=0):
    """Swaps the kernel's rows and columns (w[f, c].T)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - WW) // stride + 1, (W + 2 * pad - HH) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    kernels = w.transpose(0, 1, 3, 2)
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    patch = x_pad[n, :, y * stride:y * stride + WW, x_ * stride:x_ * stride + HH]
                    out[n, f, y, x_] = np.sum(patch * kernels[f]) + b[f]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_one_channel_per_filter(x, w, b, stride=1, pad=0):
    """Filter f only looks at input channel f % C (filters do not span the full depth)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            c = f % C
            for y in range(H_out):
                for x_ in range(W_out):
                    patch = x_pad[n, c, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]
                    out[n, f, y, x_] = np.sum(patch * w[f, c]) + b[f]
    return out


@breaks("conv2d_naive", cell="test_conv2d_naive")
def naive_hard_coded_worked_example(x, w, b, stride=1, pad=0):
    """Returns the worked example's output, with the right shape, for every input."""
    N, F = x.shape[0], w.shape[0]
    H_out = (x.shape[2] + 2 * pad - w.shape[2]) // stride + 1
    W_out = (x.shape[3] + 2 * pad - w.shape[3]) // stride + 1
    example = np.array([[3, 2, 2, 3, 1], [2, 0, 2, 1, 0], [2, 2, 1, 0, 0], [3, 1, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=float)
    out = np.zeros((N, F, H_out, W_out)) + b[None, :, None, None]
    out[:, :, :5, :5] += example[:H_out, :W_out]
    return out


# --- im2col -------------------------------------------------------------------------------------


@breaks("im2col", cell="test_im2col")
def im2col_columns_y_x_n(x, HH, WW, stride=1, pad=0):
    """Columns in the order (y, x, n) instead of (n, y, x)."""
    N, C, H, W = x.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((C, HH, WW, H_out, W_out, N))
    for i in range(HH):
        for j in range(WW):
            cols[:, i, j] = x_pad[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride].transpose(1, 2, 3, 0)
    return cols.reshape(C * HH * WW, -1)


@breaks("im2col", cell="test_im2col")
def im2col_rows_i_j_c(x, HH, WW, stride=1, pad=0):
    """Rows in the order (i, j, c) instead of (c, i, j)."""
    N, C, H, W = x.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((HH, WW, C, N, H_out, W_out))
    for i in range(HH):
        for j in range(WW):
            cols[i, j] = x_pad[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride].transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, -1)


@breaks("im2col", cell="test_im2col")
def im2col_ignores_padding(x, HH, WW, stride=1, pad=0):
    """Never pads: the padded output size, but windows taken from the unpadded image (clipped)."""
    N, C, H, W = x.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, :H, :W] = x
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for i in range(HH):
        for j in range(WW):
            cols[:, i, j] = x_pad[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride].transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, -1)


@breaks("im2col", cell="test_im2col")
def im2col_stride_ignored_in_slices(x, HH, WW, stride=1, pad=0):
    """Slices consecutive rows and columns (step 1) instead of every stride-th one."""
    N, C, H, W = x.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for i in range(HH):
        for j in range(WW):
            cols[:, i, j] = x_pad[:, :, i:i + H_out, j:j + W_out].transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, -1)


@breaks("im2col", cell="test_im2col")
def im2col_transposed(x, HH, WW, stride=1, pad=0):
    """Returns patches as rows, shape (N*H_out*W_out, C*HH*WW)."""
    N, C, H, W = x.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for i in range(HH):
        for j in range(WW):
            cols[:, i, j] = x_pad[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride].transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, -1).T


@breaks("im2col", cell="test_im2col")
def im2col_pad_one_side(x, HH, WW, stride=1, pad=0):
    """Pads 2 * pad zeros after the image instead of pad on each side."""
    N, C, H, W = x.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for i in range(HH):
        for j in range(WW):
            cols[:, i, j] = x_pad[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride].transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, -1)


# --- conv2d_im2col ------------------------------------------------------------------------------


@breaks("conv2d_im2col", cell="test_conv2d_im2col")
def im2col_conv_calls_naive(x, w, b, stride=1, pad=0):
    """Takes the shortcut of calling the loop version."""
    return conv2d_naive(x, w, b, stride=stride, pad=pad)  # noqa: F821 (defined in the notebook)


@breaks("conv2d_im2col", cell="test_conv2d_im2col")
def im2col_conv_no_transpose(x, w, b, stride=1, pad=0):
    """Reshapes the (F, N*H_out*W_out) product straight to (N, F, H_out, W_out), without transposing."""
    N, _, H, W = x.shape
    F, C, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = w.reshape(F, -1) @ im2col(x, HH, WW, stride, pad) + b[:, None]  # noqa: F821
    return out.reshape(N, F, H_out, W_out)


@breaks("conv2d_im2col", cell="test_conv2d_im2col")
def im2col_conv_flipped_kernel(x, w, b, stride=1, pad=0):
    """Flips the kernel before flattening it (true convolution)."""
    N, _, H, W = x.shape
    F, C, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = w[:, :, ::-1, ::-1].reshape(F, -1) @ im2col(x, HH, WW, stride, pad) + b[:, None]  # noqa: F821
    return out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)


@breaks("conv2d_im2col", cell="test_conv2d_im2col")
def im2col_conv_weights_channels_last(x, w, b, stride=1, pad=0):
    """Flattens the filters in the order (i, j, c), which does not match im2col's rows (c, i, j)."""
    N, _, H, W = x.shape
    F, C, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = w.transpose(0, 2, 3, 1).reshape(F, -1) @ im2col(x, HH, WW, stride, pad) + b[:, None]  # noqa: F821
    return out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)


@breaks("conv2d_im2col", cell="test_conv2d_im2col")
def im2col_conv_bias_on_batch_axis(x, w, b, stride=1, pad=0):
    """Adds the bias after the reshape, broadcast along the batch axis instead of the channel axis."""
    N, _, H, W = x.shape
    F, C, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = (w.reshape(F, -1) @ im2col(x, HH, WW, stride, pad)).reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)  # noqa: F821
    return out + b.reshape(-1, 1, 1, 1)


@breaks("conv2d_im2col", cell="test_conv2d_im2col")
def im2col_conv_forgets_bias(x, w, b, stride=1, pad=0):
    """Forgets the bias."""
    N, _, H, W = x.shape
    F, C, HH, WW = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = w.reshape(F, -1) @ im2col(x, HH, WW, stride, pad)  # noqa: F821
    return out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)


# --- conv2d_backward ----------------------------------------------------------------------------


@breaks("conv2d_backward", cell="test_conv2d_backward")
def backward_stride_ignored(dout, x, w, b, stride=1, pad=0):
    """Backward pass written for stride 1: patch (y, x) taken at (y, x) instead of (y * stride, x * stride)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    dw[f] += dout[n, f, y, x_] * x_pad[n, :, y:y + HH, x_:x_ + WW]
                    dx_pad[n, :, y:y + HH, x_:x_ + WW] += dout[n, f, y, x_] * w[f]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


@breaks("conv2d_backward", cell="test_conv2d_backward")
def backward_db_averaged_over_batch(dout, x, w, b, stride=1, pad=0):
    """Averages db over the batch instead of summing."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    ys, xs = y * stride, x_ * stride
                    dw[f] += dout[n, f, y, x_] * x_pad[n, :, ys:ys + HH, xs:xs + WW]
                    dx_pad[n, :, ys:ys + HH, xs:xs + WW] += dout[n, f, y, x_] * w[f]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(2, 3)).mean(axis=0)


@breaks("conv2d_backward", cell="test_conv2d_backward")
def backward_crop_one_side(dout, x, w, b, stride=1, pad=0):
    """Crops the padding from the bottom and right only: dx_pad[:, :, :H, :W]."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    ys, xs = y * stride, x_ * stride
                    dw[f] += dout[n, f, y, x_] * x_pad[n, :, ys:ys + HH, xs:xs + WW]
                    dx_pad[n, :, ys:ys + HH, xs:xs + WW] += dout[n, f, y, x_] * w[f]
    return dx_pad[:, :, :H, :W], dw, dout.sum(axis=(0, 2, 3))


@breaks("conv2d_backward", cell="test_conv2d_backward")
def backward_dx_flipped_kernel(dout, x, w, b, stride=1, pad=0):
    """Scatters dout through the flipped kernel (flips once too many)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    ys, xs = y * stride, x_ * stride
                    dw[f] += dout[n, f, y, x_] * x_pad[n, :, ys:ys + HH, xs:xs + WW]
                    dx_pad[n, :, ys:ys + HH, xs:xs + WW] += dout[n, f, y, x_] * w[f, :, ::-1, ::-1]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


@breaks("conv2d_backward", cell="test_conv2d_backward")
def backward_dx_assigns(dout, x, w, b, stride=1, pad=0):
    """Assigns dx patches instead of accumulating: overlapping patches overwrite each other."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for y in range(dout.shape[2]):
            for x_ in range(dout.shape[3]):
                ys, xs = y * stride, x_ * stride
                dx_pad[n, :, ys:ys + HH, xs:xs + WW] = np.tensordot(dout[n, :, y, x_], w, axes=1)
                for f in range(F):
                    dw[f] += dout[n, f, y, x_] * x_pad[n, :, ys:ys + HH, xs:xs + WW]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


@breaks("conv2d_backward", cell="test_conv2d_backward")
def backward_dw_averaged_over_batch(dout, x, w, b, stride=1, pad=0):
    """Divides dw by the batch size (a mean over images)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    ys, xs = y * stride, x_ * stride
                    dw[f] += dout[n, f, y, x_] * x_pad[n, :, ys:ys + HH, xs:xs + WW]
                    dx_pad[n, :, ys:ys + HH, xs:xs + WW] += dout[n, f, y, x_] * w[f]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw / N, dout.sum(axis=(0, 2, 3))


@breaks("conv2d_backward", cell="test_conv2d_backward")
def backward_dw_from_unpadded_input(dout, x, w, b, stride=1, pad=0):
    """Correlates dout with the unpadded input for dw (patches shifted by pad, clipped at the edges)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_big = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_big[:, :, :H, :W] = x
    dx_pad, dw = np.zeros_like(x_big), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    ys, xs = y * stride, x_ * stride
                    dw[f] += dout[n, f, y, x_] * x_big[n, :, ys:ys + HH, xs:xs + WW]
                    dx_pad[n, :, ys:ys + HH, xs:xs + WW] += dout[n, f, y, x_] * w[f]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


# --- maxpool2d_forward --------------------------------------------------------------------------


@breaks("maxpool2d_forward", cell="test_maxpool_forward")
def maxpool_stride_is_size(x, size=2, stride=2):
    """Ignores the stride argument: windows never overlap (stride = size)."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // size + 1, (W - size) // size + 1
    out = np.full((N, C, H_out, W_out), -np.inf)
    for i in range(size):
        for j in range(size):
            out = np.maximum(out, x[:, :, i:i + size * H_out:size, j:j + size * W_out:size])
    return out, (x, size, size)


@breaks("maxpool2d_forward", cell="test_maxpool_forward")
def maxpool_takes_mean(x, size=2, stride=2):
    """Averages the window (average pooling) instead of taking its maximum."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    for i in range(size):
        for j in range(size):
            out += x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] / size**2
    return out, (x, size, stride)


@breaks("maxpool2d_forward", cell="test_maxpool_forward")
def maxpool_across_channels(x, size=2, stride=2):
    """Takes the maximum over the channels too."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.full((N, 1, H_out, W_out), -np.inf)
    for i in range(size):
        for j in range(size):
            window = x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride]
            out = np.maximum(out, window.max(axis=1, keepdims=True))
    return np.repeat(out, C, axis=1), (x, size, stride)


@breaks("maxpool2d_forward", cell="test_maxpool_forward")
def maxpool_starts_from_zero(x, size=2, stride=2):
    """Starts the running maximum at 0: all-negative windows give 0."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    for i in range(size):
        for j in range(size):
            out = np.maximum(out, x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride])
    return out, (x, size, stride)


@breaks("maxpool2d_forward", cell="test_maxpool_forward")
def maxpool_no_cache(x, size=2, stride=2):
    """Returns only the output, no cache."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.full((N, C, H_out, W_out), -np.inf)
    for i in range(size):
        for j in range(size):
            out = np.maximum(out, x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride])
    return out


# --- maxpool2d_backward -------------------------------------------------------------------------


@breaks("maxpool2d_backward", cell="test_maxpool_backward")
def maxpool_grad_to_every_element(dout, cache):
    """Sends each window's gradient to every element of the window."""
    x, size, stride = cache
    H_out, W_out = dout.shape[2], dout.shape[3]
    dx = np.zeros_like(x)
    for i in range(size):
        for j in range(size):
            dx[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += dout
    return dx


@breaks("maxpool2d_backward", cell="test_maxpool_backward")
def maxpool_grad_to_all_maxima(dout, cache):
    """Sends the gradient to every element equal to the maximum (all of them on ties)."""
    x, size, stride = cache
    H_out, W_out = dout.shape[2], dout.shape[3]
    out = np.full(dout.shape, -np.inf)
    for i in range(size):
        for j in range(size):
            out = np.maximum(out, x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride])
    dx = np.zeros_like(x)
    for i in range(size):
        for j in range(size):
            window = x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride]
            dx[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += dout * (window == out)
    return dx


@breaks("maxpool2d_backward", cell="test_maxpool_backward")
def maxpool_grad_to_last_tied_maximum(dout, cache):
    """On ties sends the gradient to the last maximum of the window ('>=' in the scan), not the first."""
    x, size, stride = cache
    H_out, W_out = dout.shape[2], dout.shape[3]
    best, best_offset = np.full(dout.shape, -np.inf), np.zeros(dout.shape, dtype=int)
    for i in range(size):
        for j in range(size):
            window = x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride]
            better = window >= best
            best, best_offset = np.where(better, window, best), np.where(better, i * size + j, best_offset)
    dx = np.zeros_like(x, dtype=float)
    for i in range(size):
        for j in range(size):
            dx[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += dout * (best_offset == i * size + j)
    return dx


@breaks("maxpool2d_backward", cell="test_maxpool_backward")
def maxpool_grad_assigned(dout, cache):
    """Assigns instead of accumulating: overlapping windows overwrite each other's gradient."""
    x, size, stride = cache
    N, C = x.shape[:2]
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    window = x[n, c, y * stride:y * stride + size, x_ * stride:x_ * stride + size]
                    i, j = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, y * stride + i, x_ * stride + j] = dout[n, c, y, x_]
    return dx


@breaks("maxpool2d_backward", cell="test_maxpool_backward")
def maxpool_grad_divided_by_area(dout, cache):
    """Divides the gradient by the window area, as for average pooling."""
    x, size, stride = cache
    N, C = x.shape[:2]
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    window = x[n, c, y * stride:y * stride + size, x_ * stride:x_ * stride + size]
                    i, j = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, y * stride + i, x_ * stride + j] += dout[n, c, y, x_] / size**2
    return dx


@breaks("maxpool2d_backward", cell="test_maxpool_backward")
def maxpool_grad_stride_is_size(dout, cache):
    """Assumes non-overlapping windows (stride = size) in the backward pass."""
    x, size, stride = cache
    N, C = x.shape[:2]
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    window = x[n, c, y * size:y * size + size, x_ * size:x_ * size + size]
                    if window.size:
                        i, j = np.unravel_index(np.argmax(window), window.shape)
                        dx[n, c, y * size + i, x_ * size + j] += dout[n, c, y, x_]
    return dx


# --- avgpool2d ----------------------------------------------------------------------------------


@breaks("avgpool2d", cell="test_avgpool")
def avgpool_divides_by_size(x, size=2, stride=2):
    """Weights 1 / size instead of 1 / size**2."""
    N, C, H, W = x.shape
    out = conv2d_im2col(x.reshape(N * C, 1, H, W), np.full((1, 1, size, size), 1.0 / size), np.zeros(1), stride=stride)  # noqa: F821
    return out.reshape(N, C, out.shape[2], out.shape[3])


@breaks("avgpool2d", cell="test_avgpool")
def avgpool_mixes_channels(x, size=2, stride=2):
    """C full-depth filters of 1 / size**2: every output channel is the sum of all input channels' means."""
    C = x.shape[1]
    return conv2d_im2col(x, np.full((C, C, size, size), 1.0 / size**2), np.zeros(C), stride=stride)  # noqa: F821


@breaks("avgpool2d", cell="test_avgpool")
def avgpool_sums(x, size=2, stride=2):
    """Weights of 1: sum pooling instead of average pooling."""
    N, C, H, W = x.shape
    out = conv2d_im2col(x.reshape(N * C, 1, H, W), np.ones((1, 1, size, size)), np.zeros(1), stride=stride)  # noqa: F821
    return out.reshape(N, C, out.shape[2], out.shape[3])


@breaks("avgpool2d", cell="test_avgpool")
def avgpool_stride_ignored(x, size=2, stride=2):
    """Forgets to pass the stride on to the convolution (stride 1)."""
    N, C, H, W = x.shape
    out = conv2d_im2col(x.reshape(N * C, 1, H, W), np.full((1, 1, size, size), 1.0 / size**2), np.zeros(1))  # noqa: F821
    return out.reshape(N, C, out.shape[2], out.shape[3])


@breaks("avgpool2d", cell="test_avgpool")
def avgpool_not_a_convolution(x, size=2, stride=2):
    """Right numbers from strided slices, but not written as a convolution (the exercise's contract)."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    for i in range(size):
        for j in range(size):
            out += x[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride]
    return out / size**2


# --- receptive_field ----------------------------------------------------------------------------


@breaks("receptive_field", cell="test_receptive_field")
def field_ignores_strides(layers):
    """Adds kernel - 1 per layer, ignoring the strides below."""
    return 1 + sum(kernel - 1 for kernel, _ in layers)


@breaks("receptive_field", cell="test_receptive_field")
def field_stride_applied_too_early(layers):
    """Multiplies the jump by the layer's own stride before using it."""
    field, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride
        field += (kernel - 1) * jump
    return field


@breaks("receptive_field", cell="test_receptive_field")
def field_sums_kernels(layers):
    """Adds up the kernel sizes."""
    return sum(kernel for kernel, _ in layers) if layers else 1


@breaks("receptive_field", cell="test_receptive_field")
def field_scaled_by_total_stride(layers):
    """Receptive field of the stride-1 stack, multiplied by the product of all strides."""
    field, total_stride = 1, 1
    for kernel, stride in layers:
        field += kernel - 1
        total_stride *= stride
    return field * total_stride


@breaks("receptive_field", cell="test_receptive_field")
def field_starts_at_zero(layers):
    """Off by one: starts from 0 instead of a single pixel."""
    field, jump = 0, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


# --- conv2d_true ---------------------------------------------------------------------------------


@breaks("conv2d_true", cell="test_conv2d_true")
def true_conv_no_flip(x, w, b, stride=1, pad=0):
    """Forgets the flip: returns the cross-correlation."""
    return conv2d_im2col(x, w, b, stride=stride, pad=pad)  # noqa: F821 (the notebook's function)


@breaks("conv2d_true", cell="test_conv2d_true")
def true_conv_flip_rows_only(x, w, b, stride=1, pad=0):
    """Reverses the kernel's rows but not its columns (a mirror, not a 180-degree rotation)."""
    return conv2d_im2col(x, w[:, :, ::-1, :], b, stride=stride, pad=pad)  # noqa: F821


@breaks("conv2d_true", cell="test_conv2d_true")
def true_conv_flip_every_axis(x, w, b, stride=1, pad=0):
    """np.flip(w) without axes: also reverses the order of the filters and of the channels."""
    return conv2d_im2col(x, np.flip(w), b, stride=stride, pad=pad)  # noqa: F821


@breaks("conv2d_true", cell="test_conv2d_true")
def true_conv_transposed_kernel(x, w, b, stride=1, pad=0):
    """Transposes each kernel (swaps rows and columns) instead of rotating it."""
    return conv2d_im2col(x, np.ascontiguousarray(w.transpose(0, 1, 3, 2)), b, stride=stride, pad=pad)  # noqa: F821


@breaks("conv2d_true", cell="test_conv2d_true")
def true_conv_quarter_turn(x, w, b, stride=1, pad=0):
    """Rotates each kernel by 90 degrees (np.rot90 once) instead of 180."""
    return conv2d_im2col(x, np.rot90(w, 1, axes=(2, 3)), b, stride=stride, pad=pad)  # noqa: F821
