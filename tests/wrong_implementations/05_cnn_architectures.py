"""Wrong implementations for notebook 05 (CNN architectures); see __init__.py for how they are used.

They run in the notebook's namespace (torch, nn, F, np, ZeroPadShortcut, BasicBlock, VGG_CONFIGS, ...);
the imports below only make this module importable on its own.
"""

import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from wrong_implementations import breaks

# @breaks reads each wrong version's source with inspect.getsource, which finds a *class* through
# sys.modules; this file is loaded without being registered there, so register it (classes below).
if __name__ not in sys.modules:
    sys.modules[__name__] = types.ModuleType(__name__)
    sys.modules[__name__].__file__ = __file__

# --- count_params -------------------------------------------------------------------------------


@breaks("count_params", cell="test_count_params")
def count_including_frozen(model):
    """Counts every parameter, also those with requires_grad=False."""
    return sum(p.numel() for p in model.parameters())


@breaks("count_params", cell="test_count_params")
def count_state_dict(model):
    """Counts the state dict, i.e. buffers such as batch norm's running statistics too."""
    return sum(t.numel() for t in model.state_dict().values())


@breaks("count_params", cell="test_count_params")
def count_tensors(model):
    """Counts parameter tensors instead of scalars."""
    return len([p for p in model.parameters() if p.requires_grad])


@breaks("count_params", cell="test_count_params")
def count_per_module(model):
    """Sums each module's own parameters: a tied weight is counted once per module that uses it."""
    return sum(p.numel() for m in model.modules() for p in m.parameters(recurse=False) if p.requires_grad)


@breaks("count_params", cell="test_count_params")
def count_as_float(model):
    """Returns a float (e.g. from a mean or a division) instead of an int."""
    return float(sum(p.numel() for p in model.parameters() if p.requires_grad))


# --- output_shapes ------------------------------------------------------------------------------


@breaks("output_shapes", cell="test_output_shapes")
def shapes_of_leaf_modules(model, input_shape):
    """Walks all leaf modules (model.modules()) instead of the top-level children."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    shapes = []
    with torch.no_grad():
        x = torch.zeros(input_shape, device=device)
        for layer in model.modules():
            if not list(layer.children()):
                x = layer(x)
                shapes.append(tuple(x.shape))
    model.train(was_training)
    return shapes


@breaks("output_shapes", cell="test_output_shapes")
def shapes_with_input(model, input_shape):
    """Lists the input shape first."""
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    was_training = model.training
    model.eval()
    shapes = [tuple(input_shape)]
    with torch.no_grad():
        x = torch.zeros(input_shape, device=device)
        for layer in model.children():
            x = layer(x)
            shapes.append(tuple(x.shape))
    model.train(was_training)
    return shapes


@breaks("output_shapes", cell="test_output_shapes")
def shapes_in_training_mode(model, input_shape):
    """Runs the pass in training mode: batch norm updates its running statistics."""
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    shapes = []
    with torch.no_grad():
        x = torch.zeros(input_shape, device=device)
        for layer in model.children():
            x = layer(x)
            shapes.append(tuple(x.shape))
    return shapes


@breaks("output_shapes", cell="test_output_shapes")
def shapes_leave_eval_mode(model, input_shape):
    """Switches to evaluation mode and never restores the previous mode."""
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    model.eval()
    shapes = []
    with torch.no_grad():
        x = torch.zeros(input_shape, device=device)
        for layer in model.children():
            x = layer(x)
            shapes.append(tuple(x.shape))
    return shapes


@breaks("output_shapes", cell="test_output_shapes")
def shapes_input_on_cpu(model, input_shape):
    """Always creates the input on the CPU, whatever the model's device."""
    was_training = model.training
    model.eval()
    shapes = []
    with torch.no_grad():
        x = torch.zeros(input_shape)
        for layer in model.children():
            x = layer(x)
            shapes.append(tuple(x.shape))
    model.train(was_training)
    return shapes


@breaks("output_shapes", cell="test_output_shapes")
def shapes_without_batch(model, input_shape):
    """Drops the batch dimension from the shapes."""
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    was_training = model.training
    model.eval()
    shapes = []
    with torch.no_grad():
        x = torch.zeros(input_shape, device=device)
        for layer in model.children():
            x = layer(x)
            shapes.append(tuple(x.shape[1:]))
    model.train(was_training)
    return shapes


# --- lenet5 -------------------------------------------------------------------------------------


@breaks("lenet5", cell="test_lenet5")
def lenet_flatten_for_28(num_classes=10):
    """Flattened size computed for 28x28 inputs (16 * 4 * 4) instead of 32x32 (16 * 5 * 5)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
    )


@breaks("lenet5", cell="test_lenet5")
def lenet_average_pooling(num_classes=10):
    """Average pooling (the 1998 subsampling) instead of the max pooling asked for."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
    )


@breaks("lenet5", cell="test_lenet5")
def lenet_tanh(num_classes=10):
    """tanh activations instead of ReLU."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes),
    )


@breaks("lenet5", cell="test_lenet5")
def lenet_padded_first_conv(num_classes=10):
    """Pads the first convolution (the 28x28 habit) and adapts the flattened size: wrong shapes and count."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 6 * 6, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
    )


@breaks("lenet5", cell="test_lenet5")
def lenet_no_hidden_relu(num_classes=10):
    """Forgets the ReLU between the fully connected layers."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.Linear(84, num_classes),
    )


# --- alexnet ------------------------------------------------------------------------------------


@breaks("alexnet", cell="test_alexnet")
def alexnet_ignores_groups(num_classes=1000, groups=2):
    """Never groups the convolutions: the one-GPU network (62.4M parameters)."""
    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    )


@breaks("alexnet", cell="test_alexnet")
def alexnet_groups_conv3(num_classes=1000, groups=2):
    """Groups conv3 too, although it takes input from both GPUs."""
    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1, groups=groups), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    )


@breaks("alexnet", cell="test_alexnet")
def alexnet_flatten_wrong(num_classes=1000, groups=2):
    """Flattened size 256 * 5 * 5 instead of 256 * 6 * 6."""
    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(256 * 5 * 5, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    )


@breaks("alexnet", cell="test_alexnet")
def alexnet_padded_conv1(num_classes=1000, groups=2):
    """conv1 with padding 2 (torchvision's 224x224 habit): 56x56 maps after conv1 instead of 55x55."""
    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    )


@breaks("alexnet", cell="test_alexnet")
def alexnet_half_width_fc(num_classes=1000, groups=2):
    """Fully connected layers of 2048 units (one GPU's half) instead of 4096."""
    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 2048), nn.ReLU(), nn.Dropout(0.5), nn.Linear(2048, 2048), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(2048, num_classes),
    )


@breaks("alexnet", cell="test_alexnet")
def alexnet_no_dropout(num_classes=1000, groups=2):
    """Leaves out dropout."""
    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes),
    )


# --- vgg and vgg16 ------------------------------------------------------------------------------


@breaks("vgg", cell="test_vgg")
def vgg_no_padding(config, num_classes=1000, batch_norm=False):
    """3x3 convolutions without padding: every convolution shrinks the maps."""
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg")
def vgg_batch_norm_after_relu(config, num_classes=1000, batch_norm=False):
    """Puts batch norm after the ReLU."""
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU()] + ([nn.BatchNorm2d(item)] if batch_norm else [])
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg")
def vgg_ignores_batch_norm(config, num_classes=1000, batch_norm=False):
    """Never adds batch norm."""
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg")
def vgg_flatten_assumes_512(config, num_classes=1000, batch_norm=False):
    """Flattened size hard-coded to 512 * 7 * 7, whatever the last convolution's channels."""
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(512 * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg")
def vgg_average_pooling(config, num_classes=1000, batch_norm=False):
    """Average pooling for "M"."""
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.AvgPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg_letters")
def vgg_letters_d_and_e_swapped(config, num_classes=1000, batch_norm=False):
    """Takes D for VGG-19 and E for VGG-16."""
    if isinstance(config, str):
        if config not in ("A", "B", "D", "E"):
            raise ValueError(f"unknown configuration {config!r}")
        config = VGG_CONFIGS[{"A": 11, "B": 13, "D": 19, "E": 16}[config]]  # noqa: F821 (notebook namespace)
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg_letters")
def vgg_letters_count_c(config, num_classes=1000, batch_norm=False):
    """Indexes the depths 11, 13, 16, 19 by the letter's place in "ABCDE" (counting C, capped at the last): D and E both get 19."""
    if isinstance(config, str):
        if config not in ("A", "B", "D", "E"):
            raise ValueError(f"unknown configuration {config!r}")
        config = VGG_CONFIGS[[11, 13, 16, 19][min("ABCDE".index(config), 3)]]  # noqa: F821 (notebook namespace)
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg_letters")
def vgg_letters_accepts_c(config, num_classes=1000, batch_norm=False):
    """Builds C as D (both have 16 weight layers) instead of raising ValueError; unknown letters give D too."""
    if isinstance(config, str):
        config = VGG_CONFIGS[{"A": 11, "B": 13, "E": 19}.get(config, 16)]  # noqa: F821 (notebook namespace)
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg_letters")
def vgg_letters_drop_arguments(config, num_classes=1000, batch_norm=False):
    """With a letter, builds the default network: num_classes and batch_norm are not passed on."""
    if isinstance(config, str):
        if config not in ("A", "B", "D", "E"):
            raise ValueError(f"unknown configuration {config!r}")
        config, num_classes, batch_norm = VGG_CONFIGS[{"A": 11, "B": 13, "D": 16, "E": 19}[config]], 1000, False  # noqa: F821
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg", cell="test_vgg_letters")
def vgg_letters_typed_table_typo(config, num_classes=1000, batch_norm=False):
    """Types Table 1 by hand and gives E only three convolutions in block 3 (18 weight layers)."""
    table = {
        "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
        "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
        "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
        "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
    }
    if isinstance(config, str):
        if config not in table:
            raise ValueError(f"unknown configuration {config!r}")
        config = table[config]
    layers, channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1)] + ([nn.BatchNorm2d(item)] if batch_norm else []) + [nn.ReLU()]
            channels = item
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(channels * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes)]
    return nn.Sequential(*layers)


@breaks("vgg16", cell="test_vgg")
def vgg16_sixteen_convolutions(num_classes=1000, batch_norm=False):
    """Counts 16 convolutions (configuration E, VGG-19) instead of 13 convolutions + 3 fully connected layers."""
    return vgg(VGG_CONFIGS[19], num_classes=num_classes, batch_norm=batch_norm)  # noqa: F821 (notebook namespace)


@breaks("vgg16", cell="test_vgg")
def vgg16_drops_arguments(num_classes=1000, batch_norm=False):
    """Does not pass batch_norm on."""
    return vgg(VGG_CONFIGS[16], num_classes)  # noqa: F821 (notebook namespace)


# --- BasicBlock ---------------------------------------------------------------------------------


@breaks("BasicBlock", cell="test_basic_block")
class BlockNoReluAfterAddition(nn.Module):
    """Returns F(x) + x without the final ReLU."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if shortcut is None:
            self.shortcut = None
        elif stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = ZeroPadShortcut(out_channels, stride)  # noqa: F821
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return out + self.shortcut(x) if self.shortcut is not None else F.relu(out)


@breaks("BasicBlock", cell="test_basic_block")
class BlockReluBeforeAddition(nn.Module):
    """Applies the ReLU to F(x) and then adds x (no ReLU after the addition)."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if shortcut is None:
            self.shortcut = None
        elif stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = ZeroPadShortcut(out_channels, stride)  # noqa: F821
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return out + self.shortcut(x) if self.shortcut is not None else out


@breaks("BasicBlock", cell="test_basic_block")
class BlockShortcutFromIntermediate(nn.Module):
    """Adds the shortcut of the intermediate activation (after conv1) instead of the block's input."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = None if shortcut is None else nn.Identity()

    def forward(self, x):
        hidden = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(hidden))
        if self.shortcut is not None:
            out = out + self.shortcut(hidden)
        return F.relu(out)


@breaks("BasicBlock", cell="test_basic_block")
class BlockStrideInSecondConv(nn.Module):
    """Puts the stride in conv2 instead of conv1 (same shapes and parameters, different function)."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if shortcut is None:
            self.shortcut = None
        elif stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = ZeroPadShortcut(out_channels, stride)  # noqa: F821
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


@breaks("BasicBlock", cell="test_basic_block")
class BlockAlwaysProjects(nn.Module):
    """Uses a projection shortcut even when the identity fits (option C, not B)."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if shortcut is None:
            self.shortcut = None
        elif shortcut == "A":
            self.shortcut = ZeroPadShortcut(out_channels, stride)  # noqa: F821
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


@breaks("BasicBlock", cell="test_basic_block")
class BlockProjectionWithoutBatchNorm(nn.Module):
    """Projection shortcut without its batch norm."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if shortcut is None:
            self.shortcut = None
        elif stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = ZeroPadShortcut(out_channels, stride)  # noqa: F821
        else:
            self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


@breaks("BasicBlock", cell="test_basic_block")
class BlockOptionANoSubsampling(nn.Module):
    """Option A shortcut that pads the channels but does not subsample (its own padding module)."""

    class PadChannels(nn.Module):
        def __init__(self, out_channels):
            super().__init__()
            self.out_channels = out_channels

        def forward(self, x):
            return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - x.shape[1]))

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if shortcut is None:
            self.shortcut = None
        elif stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = self.PadChannels(out_channels)
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


@breaks("BasicBlock", cell="test_basic_block")
class BlockPlainStillAdds(nn.Module):
    """Treats shortcut=None like the identity: the 'plain' block still adds its input."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut in ("A", None):
            self.shortcut = ZeroPadShortcut(out_channels, stride)  # noqa: F821
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


@breaks("BasicBlock", cell="test_basic_block")
class BlockConvolutionsWithBias(nn.Module):
    """Keeps the convolutions' biases (redundant before batch norm, and not in the paper)."""

    def __init__(self, in_channels, out_channels, stride=1, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if shortcut is None:
            self.shortcut = None
        elif stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = ZeroPadShortcut(out_channels, stride)  # noqa: F821
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


# --- Bottleneck ---------------------------------------------------------------------------------


@breaks("Bottleneck", cell="test_bottleneck")
class BottleneckStrideInFirstConv(nn.Module):
    """Puts the stride in the first 1x1 convolution instead of the 3x3 one asked for."""

    expansion = 4

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        out = 4 * width
        self.conv1, self.bn1 = nn.Conv2d(in_channels, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        if stride == 1 and in_channels == out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + self.shortcut(x))


@breaks("Bottleneck", cell="test_bottleneck")
class BottleneckNoExpansion(nn.Module):
    """Forgets the expansion: conv3 outputs `width` channels."""

    expansion = 4

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(in_channels, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, width, 1, bias=False), nn.BatchNorm2d(width)
        if stride == 1 and in_channels == width:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + self.shortcut(x))


@breaks("Bottleneck", cell="test_bottleneck")
class BottleneckReluBeforeAddition(nn.Module):
    """ReLU after bn3, before the addition, and none after it."""

    expansion = 4

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        out = 4 * width
        self.conv1, self.bn1 = nn.Conv2d(in_channels, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        if stride == 1 and in_channels == out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h))) + self.shortcut(x)


@breaks("Bottleneck", cell="test_bottleneck")
class BottleneckProjectsOnlyOnStride(nn.Module):
    """Projects only when stride > 1, also when the number of channels changes at stride 1."""

    expansion = 4

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        out = 4 * width
        self.conv1, self.bn1 = nn.Conv2d(in_channels, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        if stride == 1:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + self.shortcut(x))


@breaks("Bottleneck", cell="test_bottleneck")
class BottleneckNoReluAfterAddition(nn.Module):
    """Returns F(x) + x without the final ReLU."""

    expansion = 4

    def __init__(self, in_channels, width, stride=1):
        super().__init__()
        out = 4 * width
        self.conv1, self.bn1 = nn.Conv2d(in_channels, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        if stride == 1 and in_channels == out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return self.bn3(self.conv3(h)) + self.shortcut(x)


# --- resnet -------------------------------------------------------------------------------------


@breaks("resnet", cell="test_resnet")
def resnet50_from_basic_blocks(depth, num_classes=1000):
    """Builds ResNet-50 from basic blocks (that is a 34-layer network)."""
    if depth not in (18, 34, 50):
        raise ValueError(depth)
    counts = [2, 2, 2, 2] if depth == 18 else [3, 4, 6, 3]
    layers = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    channels = 64
    for stage, n in enumerate(counts):
        width = 64 * 2**stage
        layers.append(nn.Sequential(*[BasicBlock(channels if i == 0 else width, width, 2 if i == 0 and stage else 1) for i in range(n)]))  # noqa: F821
        channels = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))


@breaks("resnet", cell="test_resnet")
def resnet_without_max_pooling(depth, num_classes=1000):
    """Forgets the stem's max pooling."""
    if depth not in (18, 34, 50):
        raise ValueError(depth)
    block = Bottleneck if depth == 50 else BasicBlock  # noqa: F821
    layers = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    channels = 64
    for stage, n in enumerate([2, 2, 2, 2] if depth == 18 else [3, 4, 6, 3]):
        width, blocks = 64 * 2**stage, []
        for i in range(n):
            blocks.append(block(channels, width, 2 if i == 0 and stage else 1))
            channels = width * (4 if depth == 50 else 1)
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))


@breaks("resnet", cell="test_resnet")
def resnet_stride_in_every_stage(depth, num_classes=1000):
    """Halves the maps in the first stage too (stride 2 in every stage's first block)."""
    if depth not in (18, 34, 50):
        raise ValueError(depth)
    block = Bottleneck if depth == 50 else BasicBlock  # noqa: F821
    layers = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    channels = 64
    for stage, n in enumerate([2, 2, 2, 2] if depth == 18 else [3, 4, 6, 3]):
        width, blocks = 64 * 2**stage, []
        for i in range(n):
            blocks.append(block(channels, width, 2 if i == 0 else 1))
            channels = width * (4 if depth == 50 else 1)
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))


@breaks("resnet", cell="test_resnet")
def resnet_fc_assumes_512(depth, num_classes=1000):
    """Final layer Linear(512, ...) for every depth (ResNet-50 ends with 2048 channels)."""
    if depth not in (18, 34, 50):
        raise ValueError(depth)
    block = Bottleneck if depth == 50 else BasicBlock  # noqa: F821
    layers = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    channels = 64
    for stage, n in enumerate([2, 2, 2, 2] if depth == 18 else [3, 4, 6, 3]):
        width, blocks = 64 * 2**stage, []
        for i in range(n):
            blocks.append(block(channels, width, 2 if i == 0 and stage else 1))
            channels = width * (4 if depth == 50 else 1)
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))


@breaks("resnet", cell="test_resnet")
def resnet_stem_with_bias(depth, num_classes=1000):
    """The stem convolution keeps its bias (64 extra parameters, redundant before batch norm)."""
    if depth not in (18, 34, 50):
        raise ValueError(depth)
    block = Bottleneck if depth == 50 else BasicBlock  # noqa: F821
    layers = [nn.Conv2d(3, 64, 7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    channels = 64
    for stage, n in enumerate([2, 2, 2, 2] if depth == 18 else [3, 4, 6, 3]):
        width, blocks = 64 * 2**stage, []
        for i in range(n):
            blocks.append(block(channels, width, 2 if i == 0 and stage else 1))
            channels = width * (4 if depth == 50 else 1)
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))


# --- cifar_resnet and plain_net -----------------------------------------------------------------


@breaks("cifar_resnet", cell="test_cifar_resnet")
def cifar_resnet_projection_shortcuts(depth, num_classes=10, in_channels=3):
    """Uses projection (option B) shortcuts instead of option A."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 and stage else 1, shortcut="B"))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("cifar_resnet", cell="test_cifar_resnet")
def cifar_resnet_n_from_thirds(depth, num_classes=10, in_channels=3):
    """Computes n = (depth - 2) / 3: counts layers per stage instead of blocks (twice too deep)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 3, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 and stage else 1, shortcut="A"))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("cifar_resnet", cell="test_cifar_resnet")
def cifar_resnet_accepts_any_depth(depth, num_classes=10, in_channels=3):
    """Never checks that depth = 6n + 2."""
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 and stage else 1, shortcut="A"))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("cifar_resnet", cell="test_cifar_resnet")
def cifar_resnet_stride_in_first_stage(depth, num_classes=10, in_channels=3):
    """Halves the maps in all three stages."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for width in [16, 32, 64]:
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 else 1, shortcut="A"))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("cifar_resnet", cell="test_cifar_resnet")
def cifar_resnet_ignores_in_channels(depth, num_classes=10, in_channels=3):
    """Always expects 3 input channels."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 and stage else 1, shortcut="A"))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("plain_net", cell="test_plain_net")
def plain_net_keeps_shortcuts(depth, num_classes=10, in_channels=3):
    """Returns the residual network itself."""
    return cifar_resnet(depth, num_classes, in_channels)  # noqa: F821


@breaks("plain_net", cell="test_plain_net")
def plain_net_projects_where_shape_changes(depth, num_classes=10, in_channels=3):
    """Drops the identity shortcuts but keeps projections where the shape changes."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            changes = i == 0 and stage > 0
            blocks.append(BasicBlock(channels, width, 2 if changes else 1, shortcut="B" if changes else None))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("plain_net", cell="test_plain_net")
def plain_net_counts_layers_as_blocks(depth, num_classes=10, in_channels=3):
    """Uses n = (depth - 2) / 2 blocks per stage: one block per weighted layer."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 2, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 and stage else 1, shortcut=None))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("plain_net", cell="test_plain_net")
def plain_net_accepts_any_depth(depth, num_classes=10, in_channels=3):
    """Never checks that depth = 6n + 2."""
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 and stage else 1, shortcut=None))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("plain_net", cell="test_plain_net")
def plain_net_unpadded_stem(depth, num_classes=10, in_channels=3):
    """The first convolution has no padding: 30x30 maps instead of 32x32 (same parameters)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(in_channels, 16, 3, padding=0, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for stage, width in enumerate([16, 32, 64]):
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 and stage else 1, shortcut=None))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


@breaks("plain_net", cell="test_plain_net")
def plain_net_strides_every_stage(depth, num_classes=10, in_channels=3):
    """The first block of every stage has stride 2, stage 1 included (same parameters, a quarter of the positions)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(depth)
    n, channels, layers = (depth - 2) // 6, 16, [nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for width in [16, 32, 64]:
        blocks = []
        for i in range(n):
            blocks.append(BasicBlock(channels, width, 2 if i == 0 else 1, shortcut=None))  # noqa: F821
            channels = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


# --- train_epoch --------------------------------------------------------------------------------


@breaks("train_epoch", cell="test_train_epoch")
def train_without_zero_grad(model, loader, optimizer, device, augment=None, amp=False):
    """Never clears the gradients: they accumulate over the batches."""
    model.train()
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        x = augment(x) if augment is not None else x
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return total / count, correct / count


@breaks("train_epoch", cell="test_train_epoch")
def train_without_train_mode(model, loader, optimizer, device, augment=None, amp=False):
    """Does not call model.train(): batch norm and dropout stay in whatever mode the model was."""
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        x = augment(x) if augment is not None else x
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return total / count, correct / count


@breaks("train_epoch", cell="test_train_epoch")
def train_mean_of_batch_means(model, loader, optimizer, device, augment=None, amp=False):
    """Averages the batch losses and accuracies without weighting by the batch sizes."""
    model.train()
    losses, accuracies = [], []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        x = augment(x) if augment is not None else x
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append((logits.argmax(1) == y).float().mean().item())
    return float(np.mean(losses)), float(np.mean(accuracies))


@breaks("train_epoch", cell="test_train_epoch")
def train_reports_loss_after_step(model, loader, optimizer, device, augment=None, amp=False):
    """Reports the loss recomputed after the step instead of the one it trained on."""
    model.train()
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        x = augment(x) if augment is not None else x
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            total += F.cross_entropy(model(x), y).item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return total / count, correct / count


@breaks("train_epoch", cell="test_train_epoch")
def train_summed_loss(model, loader, optimizer, device, augment=None, amp=False):
    """Backpropagates the summed loss of the batch (gradients scaled by the batch size)."""
    model.train()
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        x = augment(x) if augment is not None else x
        logits = model(x)
        loss = F.cross_entropy(logits, y, reduction="sum")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return total / count, correct / count


@breaks("train_epoch", cell="test_train_epoch")
def train_ignores_augment(model, loader, optimizer, device, augment=None, amp=False):
    """Never applies augment."""
    model.train()
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return total / count, correct / count


@breaks("train_epoch", cell="test_train_epoch")
def train_steps_before_backward(model, loader, optimizer, device, augment=None, amp=False):
    """Calls optimizer.step() before loss.backward(): every step uses the previous batch's gradient."""
    model.train()
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        x = augment(x) if augment is not None else x
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.step()
        optimizer.zero_grad()
        loss.backward()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return total / count, correct / count


@breaks("train_epoch", cell="test_train_epoch")
def train_returns_correct_count(model, loader, optimizer, device, augment=None, amp=False):
    """Returns the number of correct predictions instead of the fraction."""
    model.train()
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        x = augment(x) if augment is not None else x
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return total / count, float(correct)


# --- evaluate -----------------------------------------------------------------------------------


@breaks("evaluate", cell="test_evaluate")
@breaks("evaluate", cell="test_trained_models")
def evaluate_in_training_mode(model, loader, device):
    """Forgets model.eval(): batch norm uses (and updates) batch statistics, dropout stays on."""
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return total / count, correct / count


@breaks("evaluate", cell="test_evaluate")
@breaks("evaluate", cell="test_trained_models")
def evaluate_mean_of_batch_means(model, loader, device):
    """Averages per-batch means without weighting by the batch sizes."""
    model.eval()
    losses, accuracies = [], []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            losses.append(F.cross_entropy(logits, y).item())
            accuracies.append((logits.argmax(1) == y).float().mean().item())
    return float(np.mean(losses)), float(np.mean(accuracies))


@breaks("evaluate", cell="test_evaluate")
@breaks("evaluate", cell="test_trained_models")
def evaluate_percent(model, loader, device):
    """Returns the accuracy in percent."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return total / count, 100.0 * correct / count


@breaks("evaluate", cell="test_evaluate")
def evaluate_total_loss(model, loader, device):
    """Returns the summed loss instead of the mean."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return total, correct / count


@breaks("evaluate", cell="test_evaluate")
@breaks("evaluate", cell="test_trained_models")
def evaluate_swapped_outputs(model, loader, device):
    """Returns (accuracy, loss) instead of (loss, accuracy)."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return correct / count, total / count


# --- random_crop --------------------------------------------------------------------------------


@breaks("random_crop", cell="test_random_crop")
def crop_same_window_for_batch(x, size, padding, generator=None):
    """Draws one window for the whole batch."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    top = int(torch.randint(0, h + 2 * padding - size + 1, (1,), generator=generator))
    left = int(torch.randint(0, w + 2 * padding - size + 1, (1,), generator=generator))
    return padded[:, :, top : top + size, left : left + size].clone()


@breaks("random_crop", cell="test_random_crop")
def crop_exclusive_upper_bound(x, size, padding, generator=None):
    """Off by one: the largest offset H + 2p - size is never drawn."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    top = torch.randint(0, max(1, h + 2 * padding - size), (n,), generator=generator)
    left = torch.randint(0, max(1, w + 2 * padding - size), (n,), generator=generator)
    return torch.stack([padded[i, :, t : t + size, u : u + size] for i, (t, u) in enumerate(zip(top.tolist(), left.tolist()))])


@breaks("random_crop", cell="test_random_crop")
def crop_global_generator(x, size, padding, generator=None):
    """Ignores the generator argument (draws from the global random state)."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    top = torch.randint(0, h + 2 * padding - size + 1, (n,))
    left = torch.randint(0, w + 2 * padding - size + 1, (n,))
    return torch.stack([padded[i, :, t : t + size, u : u + size] for i, (t, u) in enumerate(zip(top.tolist(), left.tolist()))])


@breaks("random_crop", cell="test_random_crop")
def crop_reflect_padding(x, size, padding, generator=None):
    """Pads by reflection instead of zeros."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4, mode="reflect")
    top = torch.randint(0, h + 2 * padding - size + 1, (n,), generator=generator)
    left = torch.randint(0, w + 2 * padding - size + 1, (n,), generator=generator)
    return torch.stack([padded[i, :, t : t + size, u : u + size] for i, (t, u) in enumerate(zip(top.tolist(), left.tolist()))])


@breaks("random_crop", cell="test_random_crop")
def crop_window_per_channel(x, size, padding, generator=None):
    """Draws a different window for every channel."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    top = torch.randint(0, h + 2 * padding - size + 1, (n, c), generator=generator)
    left = torch.randint(0, w + 2 * padding - size + 1, (n, c), generator=generator)
    out = torch.empty(n, c, size, size, dtype=x.dtype)
    for i in range(n):
        for j in range(c):
            t, u = int(top[i, j]), int(left[i, j])
            out[i, j] = padded[i, j, t : t + size, u : u + size]
    return out


@breaks("random_crop", cell="test_random_crop")
def crop_same_offset_both_axes(x, size, padding, generator=None):
    """Uses one random offset for both axes (only diagonal shifts)."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    top = torch.randint(0, min(h, w) + 2 * padding - size + 1, (n,), generator=generator)
    return torch.stack([padded[i, :, t : t + size, t : t + size] for i, t in enumerate(top.tolist())])


@breaks("random_crop", cell="test_random_crop")
def crop_ignores_padding(x, size, padding, generator=None):
    """Crops inside the unpadded image: no shift at all when size equals the image size."""
    n, c, h, w = x.shape
    top = torch.randint(0, h - size + 1, (n,), generator=generator)
    left = torch.randint(0, w - size + 1, (n,), generator=generator)
    return torch.stack([x[i, :, t : t + size, u : u + size] for i, (t, u) in enumerate(zip(top.tolist(), left.tolist()))])


# --- random_hflip -------------------------------------------------------------------------------


@breaks("random_hflip", cell="test_random_hflip")
def hflip_vertical(x, generator=None):
    """Flips upside down (dimension -2) instead of left to right."""
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-2), x)


@breaks("random_hflip", cell="test_random_hflip")
def hflip_whole_batch(x, generator=None):
    """Flips the whole batch or nothing."""
    return x.flip(-1) if torch.rand(1, generator=generator).item() < 0.5 else x.clone()


@breaks("random_hflip", cell="test_random_hflip")
def hflip_always(x, generator=None):
    """Flips every image."""
    return x.flip(-1)


@breaks("random_hflip", cell="test_random_hflip")
def hflip_in_place(x, generator=None):
    """Flips the chosen images in place and returns the input tensor."""
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    x[flip] = x[flip].flip(-1)
    return x


@breaks("random_hflip", cell="test_random_hflip")
def hflip_global_generator(x, generator=None):
    """Ignores the generator argument."""
    flip = torch.rand(x.shape[0]) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


@breaks("random_hflip", cell="test_random_hflip")
def hflip_per_channel(x, generator=None):
    """Draws a flip for every channel separately."""
    flip = torch.rand(x.shape[0], x.shape[1], generator=generator) < 0.5
    return torch.where(flip[:, :, None, None], x.flip(-1), x)
