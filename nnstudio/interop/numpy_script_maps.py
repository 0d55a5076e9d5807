"""The parts of the NumPy script a convolutional network adds: its layer table, convolution and pooling written
out with explicit loops over the output positions, and the forward and backward loops that call them.

Why loops and not the core's window views (core/conv.py): the script is for study, and a loop over (o, i, j)
with the window `xp[:, i·s : i·s + k, j·s : j·s + k]` in view reads as the formula does. It is slow, which a
small network does not notice. Every map travels flat between layers, in (C, H, W) order (as the core's
trace keeps it and as a dense layer after maps reads it), and is reshaped where a layer needs it as maps.
"""

from __future__ import annotations

from nnstudio.core.network import Conv2DLayer, Network, Pool2DLayer

FUNCTIONS = '''

def correlate(x, kernel, bias, stride, pad):
    """z[o, i, j] = bias[o] + Σ_c Σ_u Σ_v kernel[o, c, u, v] · xp[c, i·s + u, j·s + v]: cross-correlation, as
    PyTorch (the kernel is not flipped); xp is x (C, H, W) with `pad` zero rows and columns on every side."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    K, _, k, _ = kernel.shape
    rows, cols = (xp.shape[1] - k) // stride + 1, (xp.shape[2] - k) // stride + 1
    z = np.zeros((K, rows, cols), dtype=x.dtype)
    for o in range(K):
        for i in range(rows):
            for j in range(cols):
                window = xp[:, i * stride:i * stride + k, j * stride:j * stride + k]
                z[o, i, j] = np.sum(kernel[o] * window) + (bias[o] if bias is not None else 0.0)
    return z


def correlate_backward(x, kernel, delta, stride, pad):
    """(∂L/∂kernel, ∂L/∂bias, ∂L/∂x) from δ = ∂L/∂z (K, Ho, Wo): each output position sends δ back along the
    products that made it: ∂L/∂kernel[o] += δ[o, i, j]·window, ∂L/∂window += δ[o, i, j]·kernel[o]."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    k = kernel.shape[2]
    grad_kernel, grad_xp = np.zeros_like(kernel), np.zeros_like(xp)
    for o in range(delta.shape[0]):
        for i in range(delta.shape[1]):
            for j in range(delta.shape[2]):
                rows, cols = slice(i * stride, i * stride + k), slice(j * stride, j * stride + k)
                grad_kernel[o] += delta[o, i, j] * xp[:, rows, cols]
                grad_xp[:, rows, cols] += delta[o, i, j] * kernel[o]
    height, width = x.shape[1], x.shape[2]
    return grad_kernel, delta.sum(axis=(1, 2)), grad_xp[:, pad:pad + height, pad:pad + width]  # padding dropped


def pool(x, kind, size, stride):
    """(y, chosen): the max or mean of each size×size window of each map of x (C, H, W), windows `stride`
    apart, rounding down; `chosen` is where each maximum was in its window (the first, in row-major order)."""
    channels = x.shape[0]
    rows, cols = (x.shape[1] - size) // stride + 1, (x.shape[2] - size) // stride + 1
    y = np.zeros((channels, rows, cols), dtype=x.dtype)
    chosen = np.zeros((channels, rows, cols), dtype=int)
    for c in range(channels):
        for i in range(rows):
            for j in range(cols):
                window = x[c, i * stride:i * stride + size, j * stride:j * stride + size]
                if kind == 'max':
                    chosen[c, i, j] = np.argmax(window)  # the first maximum, as PyTorch
                    y[c, i, j] = window.flat[chosen[c, i, j]]
                else:
                    y[c, i, j] = np.sum(window) / (size * size)
    return y, chosen


def pool_backward(delta, chosen, x_shape, kind, size, stride):
    """∂L/∂x from δ of the pooled maps: max pooling sends each δ to the pixel its window chose, average pooling
    a share δ/size² to every pixel of the window (summed where windows overlap)."""
    grad_x = np.zeros(x_shape, dtype=delta.dtype)
    for c in range(delta.shape[0]):
        for i in range(delta.shape[1]):
            for j in range(delta.shape[2]):
                if kind == 'max':
                    u, v = divmod(int(chosen[c, i, j]), size)
                    grad_x[c, i * stride + u, j * stride + v] += delta[c, i, j]
                else:
                    grad_x[c, i * stride:i * stride + size, j * stride:j * stride + size] += delta[c, i, j] / (
                        size * size)
    return grad_x
'''.splitlines()

FORWARD = '''
# Forward pass. Dense: z[l] = W[l]·a[l−1] + b[l]; convolution: z[l] = W[l] ⋆ a[l−1] + b[l] (W[l] is the kernel);
# pooling: z[l] = the max or mean of each window (no activation: a[l] = z[l]); a[l] = g(z[l]), a[0] = x.
# Maps are kept flat, in (C, H, W) order, so a dense layer after them reads them as they are.
a, z, chosen = [x], [None], [None] * (L_LAYERS + 1)
for l in range(1, L_LAYERS + 1):
    if kind[l] == 'dense':
        z_l = a[l - 1] @ W[l].T  # = W[l]·a[l−1]
        if b[l] is not None:
            z_l = z_l + b[l]
    elif kind[l] == 'conv':
        z_l = correlate(a[l - 1].reshape(in_shape[l]), W[l], b[l], stride[l], pad[l]).ravel()
    else:
        maps, chosen[l] = pool(a[l - 1].reshape(in_shape[l]), kind[l], size[l], stride[l])
        z_l = maps.ravel()
    z.append(z_l)
    a.append(activation(g[l], z_l, params[l]))
y_hat = a[L_LAYERS]
'''.splitlines()

BACKWARD = '''
# Backward pass. Dense: ∂L/∂W = δ·a_prevᵀ, ∂L/∂b = δ, signal Wᵀδ; convolution and pooling: correlate_backward
# and pool_backward above. A hidden δ = signal ∘ g′(z) (pooling's g is the identity: δ is its signal).
grad_W, grad_b = [None] * (L_LAYERS + 1), [None] * (L_LAYERS + 1)
for l in range(L_LAYERS, 0, -1):
    if kind[l] == 'dense':
        grad_W[l] = np.outer(delta[l], a[l - 1])
        grad_b[l] = delta[l].copy() if b[l] is not None else None
        signal = delta[l] @ W[l]  # = W[l]ᵀ·δ[l]
    elif kind[l] == 'conv':
        grad_W[l], grad_bias, signal = correlate_backward(a[l - 1].reshape(in_shape[l]), W[l],
                                                          delta[l].reshape(out_shape[l]), stride[l], pad[l])
        grad_b[l] = grad_bias if b[l] is not None else None
        signal = signal.ravel()
    else:
        signal = pool_backward(delta[l].reshape(out_shape[l]), chosen[l], in_shape[l], kind[l], size[l],
                               stride[l]).ravel()
    if l > 1:
        if g[l - 1] == 'softmax':
            delta[l - 1] = a[l - 1] * (signal - np.sum(signal * a[l - 1]))
        else:
            delta[l - 1] = signal * derivative(g[l - 1], z[l - 1], a[l - 1], params[l - 1])
'''.splitlines()


def table_lines(network: Network) -> list[str]:
    """Each layer's kind ('dense', 'conv', 'max', 'avg') and the numbers its maps need, 1-based as W and b."""
    kinds, shapes_in, shapes_out, strides, pads, sizes = ["None"], ["None"], ["None"], ["None"], ["None"], ["None"]
    for layer in network.layers:
        spatial = isinstance(layer, (Conv2DLayer, Pool2DLayer))
        kinds.append(repr("conv" if isinstance(layer, Conv2DLayer) else layer.kind if spatial else "dense"))
        shapes_in.append(repr(tuple(layer.in_shape)) if spatial else "None")
        shapes_out.append(repr(tuple(layer.out_shape)) if spatial else "None")
        strides.append(repr(layer.stride) if spatial else "None")
        pads.append(repr(layer.pad) if isinstance(layer, Conv2DLayer) else "None")
        sizes.append(repr(layer.size) if isinstance(layer, Pool2DLayer) else "None")
    return ["# Each layer's kind: 'dense', 'conv' (W[l] is its kernel (K, C, k, k)), or 'max' / 'avg' pooling (no W,",
            "# no b); the maps (C, H, W) it reads and gives; a convolution's stride and zero padding, a pooling's",
            "# window size and stride.",
            f"kind = [{', '.join(kinds)}]",
            f"in_shape = [{', '.join(shapes_in)}]",
            f"out_shape = [{', '.join(shapes_out)}]",
            f"stride = [{', '.join(strides)}]",
            f"pad = [{', '.join(pads)}]",
            f"size = [{', '.join(sizes)}]"]
