r"""Data-augmentation layers with Keras names and meanings, as Flax NNX modules.

Each layer holds its (Keras-named) arguments and calls the matching function of
:mod:`jreg.augment`, so the math lives in one place. Like :class:`flax.nnx.Dropout` the
layers are constructed in train mode (``deterministic=False``), draw their keys from a
stream forked at construction from ``rngs['augment']`` (``rng_collection``; an
``nnx.Rngs`` without it falls back to ``'default'``), accept call-time
``deterministic=``, ``rngs=`` or ``key=`` overrides, and are the identity in eval mode
(``model.eval()`` / ``nnx.view(model, deterministic=True)``) — except the crops, which
then take the centre crop so shapes do not change between modes, and the fixed
(not random) ``Equalization`` and ``AutoContrast``, applied in both modes as Keras
documents.

Integer images are converted to the default float dtype (Keras outputs floats too);
``value_range`` defaults to Keras' ``(0, 255)``.

:class:`AugmentationPipeline` applies layers in order and fuses every run of
consecutive geometric layers (flip, rotation, zoom, translation, shear, perspective,
resized crop) with the same fill settings into ONE coordinate transform and one resample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from jreg import augment
from jreg.augment._common import FILL_MODES, INTERPOLATIONS, check_choice, factor_range
from jreg.augment._geometry import FLIP_MODES, _crop_box_ranges

from ._random_module import AugmentLayer, RandomModule, RngsLike

_DEFAULT_RANGE = (0, 255)


def _float_images(inputs: Any) -> jax.Array:
    inputs = jnp.asarray(inputs)
    if not jnp.issubdtype(inputs.dtype, jnp.floating):
        inputs = inputs.astype(jnp.result_type(float))
    return inputs


class _Layer(AugmentLayer):
    """Image layers: the shared call of :class:`AugmentLayer` on float images."""

    def _setup(self, deterministic, rng_collection, rngs):
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _prepare(self, inputs):
        return _float_images(inputs)


class _GeometricLayer(_Layer):
    """A layer whose effect is one per-example 3×3 coordinate transform."""

    def _init_warp(self, fill_mode, interpolation, fill_value):
        check_choice(fill_mode, "fill_mode", FILL_MODES)
        check_choice(interpolation, "interpolation", INTERPOLATIONS)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def sample_matrix(self, key, batch_size, height, width, dtype):
        """Draw this layer's ``(N, 3, 3)`` transforms (see ``augment.random_affine_matrix``)."""
        return augment.random_affine_matrix(
            key, batch_size, height, width, dtype=dtype, **self._affine_kwargs()
        )

    def _affine_kwargs(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _warp_settings(self):
        return (self.fill_mode, self.interpolation, self.fill_value)

    def _fusion_settings(self):
        """``(fill modes this layer accepts, interpolation, fill_value or None)``."""
        fill_value = self.fill_value if self.fill_mode == "constant" else None
        return (frozenset((self.fill_mode,)), self.interpolation, fill_value)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """The ``(height, width)`` of the output for an input of that size."""
        return height, width

    def eval_matrix(self, batch_size, height, width, dtype):
        """The eval-mode transform, or ``None`` when eval mode is the identity."""
        return None

    def _augment(self, key, images):
        return augment.random_affine(
            key,
            images,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            interpolation=self.interpolation,
            **self._affine_kwargs(),
        )


class RandomFlip(_GeometricLayer):
    """Flip each image with probability ½ per allowed direction (Keras ``RandomFlip``).

    Args:
      mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"`` (Keras'
        default).
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomFlip
      >>> layer = RandomFlip("horizontal", rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((4, 8, 8, 3))).shape
      (4, 8, 8, 3)
    """

    def __init__(
        self,
        mode: str = "horizontal_and_vertical",
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_choice(mode, "mode", FLIP_MODES)
        self.mode = mode
        self._init_warp("reflect", "nearest", 0.0)
        self._setup(deterministic, rng_collection, rngs)

    def _affine_kwargs(self):
        return dict(flip=self.mode)

    def _fusion_settings(self):
        return None  # flips are exact: they fuse with any run

    def _augment(self, key, images):
        return augment.random_flip(key, images, mode=self.mode)


class RandomRotation(_GeometricLayer):
    r"""Rotate each image by a random angle (Keras ``RandomRotation``).

    Angle :math:`2\pi\,U(a, b)`, ``(a, b) = (-factor, factor)`` for a number (fractions
    of a full turn; positive is counter-clockwise). See ``augment.random_rotation``.

    Args:
      factor: number ``>= 0`` or pair ``(lower, upper)``.
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomRotation
      >>> RandomRotation(0.1, rngs=nnx.Rngs(0))(jnp.ones((2, 8, 8, 1))).shape
      (2, 8, 8, 1)
    """

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(factor, "factor")
        self.factor = factor
        self._init_warp(fill_mode, interpolation, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _affine_kwargs(self):
        return dict(rotation=self.factor)


class RandomZoom(_GeometricLayer):
    r"""Zoom each image by random ratios (Keras ``RandomZoom``; positive zooms out).

    Ratio :math:`1 + U(a, b)` per axis; ``width_factor=None`` keeps the aspect ratio.

    Args:
      height_factor: number or pair, each ``> -1``.
      width_factor: number, pair or ``None``.
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomZoom
      >>> RandomZoom(0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 8, 8, 1))).shape
      (2, 8, 8, 1)
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(height_factor, "height_factor", low=-1.0, low_inclusive=False)
        if width_factor is not None:
            factor_range(width_factor, "width_factor", low=-1.0, low_inclusive=False)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._init_warp(fill_mode, interpolation, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _affine_kwargs(self):
        return dict(zoom_height=self.height_factor, zoom_width=self.width_factor)


class RandomTranslation(_GeometricLayer):
    r"""Shift each image by random fractions of its size (Keras ``RandomTranslation``).

    Args:
      height_factor: number or pair in ``[-1, 1]`` (fraction of the height).
      width_factor: number or pair in ``[-1, 1]`` (fraction of the width).
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomTranslation
      >>> RandomTranslation(0.1, 0.1, rngs=nnx.Rngs(0))(jnp.ones((2, 8, 8, 1))).shape
      (2, 8, 8, 1)
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(height_factor, "height_factor", low=-1.0, high=1.0)
        factor_range(width_factor, "width_factor", low=-1.0, high=1.0)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._init_warp(fill_mode, interpolation, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _affine_kwargs(self):
        return dict(translate_height=self.height_factor, translate_width=self.width_factor)


class RandomShear(_GeometricLayer):
    r"""Shear each image by random factors (Keras ``RandomShear``), about its centre.

    Args:
      x_factor: number or pair (Keras: within ``[0, 1]``).
      y_factor: number or pair.
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomShear
      >>> RandomShear(0.2, 0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 8, 8, 1))).shape
      (2, 8, 8, 1)
    """

    def __init__(
        self,
        x_factor: Any = 0.0,
        y_factor: Any = 0.0,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(x_factor, "x_factor", low=-1.0, high=1.0)
        factor_range(y_factor, "y_factor", low=-1.0, high=1.0)
        self.x_factor = x_factor
        self.y_factor = y_factor
        self._init_warp(fill_mode, interpolation, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _affine_kwargs(self):
        return dict(shear_x=self.x_factor, shear_y=self.y_factor)


class RandomPerspective(_GeometricLayer):
    r"""Random perspective warp (Keras ``RandomPerspective``).

    Keras' ``factor`` is the range of the per-image probability of applying the warp
    (``(0, f)`` for a number); ``scale`` is ``augment.random_perspective``'s (every
    corner moves by up to ``scale/2`` of the size; Keras keeps the top-left corner).

    Args:
      factor: probability range, number or pair in ``[0, 1]``.
      scale: in ``[0, 1]``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.
      fill_value: the constant fill (Keras fills with a constant).
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomPerspective
      >>> layer = RandomPerspective(scale=0.3, rngs=nnx.Rngs(0))
      >>> layer.factor, layer.fill_mode
      ((0.0, 1.0), 'constant')
    """

    def __init__(
        self,
        factor: Any = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        self.factor = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
        factor_range(scale, "scale", single="zero", low=0.0, high=1.0)
        self.scale = scale
        self._init_warp("constant", interpolation, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _affine_kwargs(self):
        return dict(perspective=self.scale)

    def sample_matrix(self, key, batch_size, height, width, dtype):
        key_warp, key_p, key_apply = jax.random.split(key, 3)
        warp = augment.random_affine_matrix(
            key_warp, batch_size, height, width, dtype=dtype, perspective=self.scale
        )
        lo, hi = self.factor
        probability = lo + (hi - lo) * jax.random.uniform(key_p, (batch_size,), dtype)
        apply = jax.random.uniform(key_apply, (batch_size,), dtype) < probability
        return jnp.where(apply[:, None, None], warp, jnp.eye(3, dtype=dtype))

    def _augment(self, key, images):
        batch = images if images.ndim == 4 else images[None]
        n, h, w, _ = batch.shape
        matrix = self.sample_matrix(key, n, h, w, batch.dtype)
        out = augment.affine_transform(
            batch,
            matrix,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            interpolation=self.interpolation,
        )
        return out if images.ndim == 4 else out[0]


class RandomCrop(_Layer):
    """Crop a random ``height × width`` window per image (Keras ``RandomCrop``).

    In eval mode the layer takes the centre crop (as Keras at inference), so the output
    shape is the same in both modes.

    Args:
      height: crop height.
      width: crop width.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomCrop
      >>> layer = RandomCrop(4, 5, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((2, 8, 8, 3))).shape, layer(jnp.ones((8, 8, 3)), deterministic=True).shape
      ((2, 4, 5, 3), (4, 5, 3))
    """

    def __init__(
        self,
        height: int,
        width: int,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        augment._common.check_size(height, "height")
        augment._common.check_size(width, "width")
        self.height = height
        self.width = width
        self._setup(deterministic, rng_collection, rngs)

    def _identity(self, inputs):
        return augment.center_crop(inputs, self.height, self.width)

    def _augment(self, key, images):
        return augment.random_crop(key, images, self.height, self.width)


class RandomResizedCrop(_GeometricLayer):
    r"""Crop a random box and resize it to ``height × width`` (torchvision / keras_cv).

    Keras 3 has no such layer; the meaning is torchvision's ``RandomResizedCrop`` (and
    keras_cv's ``RandomCropAndResize``): per image a box of area
    :math:`U(s_0, s_1)\,HW` and aspect ratio :math:`w/h = \exp U(\log r_0, \log r_1)`
    (sides clipped to the image instead of torchvision's rejection sampling), at a
    uniform position, resized to ``height × width`` with half-pixel centres. See
    ``augment.random_resized_crop``.

    In eval mode the layer takes the largest centred box with the output's aspect ratio
    and resizes it (what Keras' ``RandomCrop`` documents for inference), so the output
    shape is the same in both modes. The layer is geometric: ``AugmentationPipeline``
    fuses it with neighbouring geometric layers (with ``fill_mode`` ``"reflect"`` or
    ``"nearest"``, which agree on the crop's half-pixel border) into one resample.

    Args:
      height: output height.
      width: output width.
      scale: area fraction range ``(s_0, s_1)``, ``0 < s_0 <= s_1 <= 1``, default
        ``(0.08, 1.0)``.
      ratio: aspect-ratio (width / height) range ``(r_0, r_1)``, default ``(3/4, 4/3)``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    References:
      Szegedy et al., "Going deeper with convolutions", CVPR 2015.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomResizedCrop
      >>> layer = RandomResizedCrop(4, 6, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((2, 8, 8, 3))).shape, layer(jnp.ones((8, 8, 3)), deterministic=True).shape
      ((2, 4, 6, 3), (4, 6, 3))
      >>> half = RandomResizedCrop(2, 2, deterministic=True)  # eval mode: resize (4, 4) -> (2, 2)
      >>> print(half(jnp.arange(16.0).reshape(4, 4, 1))[..., 0])
      [[ 2.5  4.5]
       [10.5 12.5]]
    """

    def __init__(
        self,
        height: int,
        width: int,
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3 / 4, 4 / 3),
        interpolation: str = "bilinear",
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        augment._common.check_size(height, "height")
        augment._common.check_size(width, "width")
        self.scale, self.ratio = _crop_box_ranges(scale, ratio)
        self.height = height
        self.width = width
        self._init_warp("nearest", interpolation, 0.0)
        self._setup(deterministic, rng_collection, rngs)

    def _fusion_settings(self):
        # the box lies inside the image: only its half-pixel border is read outside, where
        # "reflect" and "nearest" give the same values
        return (frozenset(("reflect", "nearest")), self.interpolation, None)

    def output_size(self, height, width):
        """The output is ``(self.height, self.width)`` whatever the input size."""
        return self.height, self.width

    def sample_matrix(self, key, batch_size, height, width, dtype):
        """Draw the ``(N, 3, 3)`` crop transforms (``augment.random_resized_crop_matrix``)."""
        return augment.random_resized_crop_matrix(
            key,
            batch_size,
            height,
            width,
            self.height,
            self.width,
            scale=self.scale,
            ratio=self.ratio,
            dtype=dtype,
        )

    def eval_matrix(self, batch_size, height, width, dtype):
        """The centred crop of the output's aspect ratio, resized: ``(N, 3, 3)``."""
        box_h = min(float(height), width * self.height / self.width)
        box_w = min(float(width), height * self.width / self.height)
        sx, sy = box_w / self.width, box_h / self.height
        x0, y0 = (width - box_w) / 2, (height - box_h) / 2
        matrix = jnp.array(
            [[sx, 0.0, x0 + 0.5 * sx - 0.5], [0.0, sy, y0 + 0.5 * sy - 0.5], [0.0, 0.0, 1.0]],
            dtype=dtype,
        )
        return jnp.broadcast_to(matrix, (batch_size, 3, 3))

    def _resample(self, images, matrix):
        return augment.affine_transform(
            images,
            matrix,
            fill_mode=self.fill_mode,
            interpolation=self.interpolation,
            output_shape=(self.height, self.width),
        )

    def _identity(self, inputs):
        images = _float_images(inputs)
        batch = images if images.ndim == 4 else images[None]
        n, h, w, _ = batch.shape
        out = self._resample(batch, self.eval_matrix(n, h, w, batch.dtype))
        return out if images.ndim == 4 else out[0]

    def _augment(self, key, images):
        return augment.random_resized_crop(
            key,
            images,
            self.height,
            self.width,
            scale=self.scale,
            ratio=self.ratio,
            interpolation=self.interpolation,
        )


class _ColorLayer(_Layer):
    def _init_range(self, value_range):
        self.value_range = tuple(augment._common.check_value_range(value_range))


class _FactorColorLayer(_ColorLayer):
    """``Layer(factor, value_range=(0, 255))`` calling ``_function(key, images, factor, ...)``."""

    def __init__(
        self,
        factor: Any,
        value_range: tuple[float, float] = _DEFAULT_RANGE,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        self._check_factor(factor)
        self.factor = factor
        self._init_range(value_range)
        self._setup(deterministic, rng_collection, rngs)

    @staticmethod
    def _check_factor(factor):
        factor_range(factor, "factor", single="zero", low=0.0, high=1.0)

    def _augment(self, key, images):
        return type(self)._function(key, images, self.factor, value_range=self.value_range)


class RandomBrightness(_FactorColorLayer):
    r"""Add a random fraction of the value range per image (Keras ``RandomBrightness``).

    :math:`\delta \sim U(a, b)` (``(-f, f)`` for a number, within ``[-1, 1]``); the
    result is clipped to ``value_range``. See ``augment.random_brightness``.

    Args:
      factor: number or pair.
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomBrightness
      >>> RandomBrightness(0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    _function = staticmethod(augment.random_brightness)

    @staticmethod
    def _check_factor(factor):
        factor_range(factor, "factor", low=-1.0, high=1.0)


class RandomContrast(_FactorColorLayer):
    r"""Random contrast per image (Keras ``RandomContrast``): factor :math:`U(1-a, 1+b)`.

    ``(a, b) = (f, f)`` for a number, as Keras documents; deviations from each channel's
    mean are scaled and the result clipped. See ``augment.random_contrast``.

    Args:
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomContrast
      >>> RandomContrast(0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    _function = staticmethod(augment.random_contrast)

    @staticmethod
    def _check_factor(factor):
        values = factor if isinstance(factor, (tuple, list)) else (factor,)
        for value in values:
            factor_range(value, "factor", single="zero", low=0.0, high=1.0)


class RandomSaturation(_FactorColorLayer):
    r"""Random saturation per image (Keras ``RandomSaturation``; 0.5 is the identity).

    See ``augment.random_saturation``.

    Args:
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomSaturation
      >>> RandomSaturation(0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    _function = staticmethod(augment.random_saturation)


class RandomHue(_FactorColorLayer):
    r"""Random hue rotation per image (Keras ``RandomHue``): up to ``±factor/2`` turns.

    See ``augment.random_hue``.

    Args:
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomHue
      >>> RandomHue(0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    _function = staticmethod(augment.random_hue)


class RandomSharpness(_FactorColorLayer):
    r"""Random sharpness per image (Keras ``RandomSharpness``; 0.5 is the identity).

    See ``augment.random_sharpness``.

    Args:
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomSharpness
      >>> RandomSharpness(0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    _function = staticmethod(augment.random_sharpness)


class RandomColorDegeneration(_FactorColorLayer):
    r"""Random blend towards gray per image (Keras ``RandomColorDegeneration``).

    See ``augment.random_color_degeneration``.

    Args:
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomColorDegeneration
      >>> RandomColorDegeneration(0.2, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    _function = staticmethod(augment.random_color_degeneration)


class RandomPosterization(_FactorColorLayer):
    r"""Random posterization per image (Keras ``RandomPosterization``).

    Bits uniform over the integers of ``[a, b]`` (``(1, f)`` for a number), in
    ``[1, 8]``. See ``augment.random_posterize``.

    Args:
      factor: integer or pair of integers.
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomPosterization
      >>> RandomPosterization((4, 8), rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    _function = staticmethod(augment.random_posterize)

    @staticmethod
    def _check_factor(factor):
        factor_range(factor, "factor", single="zero", low=0, high=8)


class RandomGrayscale(_Layer):
    """Make each image gray with probability ``factor`` (Keras ``RandomGrayscale``).

    Args:
      factor: probability in ``[0, 1]`` (Keras' default 0.5).
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomGrayscale
      >>> RandomGrayscale(rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    def __init__(
        self,
        factor: float = 0.5,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        augment._common.check_probability(factor, "factor")
        self.factor = factor
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.random_grayscale(key, images, self.factor)


class RandomInvert(_ColorLayer):
    """Invert each image with probability ``factor`` (Keras ``RandomInvert``).

    Args:
      factor: probability in ``[0, 1]``.
      value_range: ``(lo, hi)``, default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomInvert
      >>> RandomInvert(0.5, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    def __init__(
        self,
        factor: float = 0.5,
        value_range: tuple[float, float] = _DEFAULT_RANGE,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        augment._common.check_probability(factor, "factor")
        self.factor = factor
        self._init_range(value_range)
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.random_invert(key, images, self.factor, value_range=self.value_range)


class Solarization(_ColorLayer):
    """Random solarization (Keras ``Solarization``); see ``augment.random_solarize``.

    Args:
      addition_factor: number or pair in ``[0, 1]`` (fraction of the range added first).
      threshold_factor: number or pair in ``[0, 1]`` (threshold as a fraction of the
        range; pixels at or above it are inverted).
      value_range: ``(lo, hi)``, default ``(0, 255)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import Solarization
      >>> Solarization(threshold_factor=0.5, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    def __init__(
        self,
        addition_factor: Any = 0.0,
        threshold_factor: Any = 0.0,
        value_range: tuple[float, float] = _DEFAULT_RANGE,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(addition_factor, "addition_factor", single="zero", low=0.0, high=1.0)
        factor_range(threshold_factor, "threshold_factor", single="zero", low=0.0, high=1.0)
        self.addition_factor = addition_factor
        self.threshold_factor = threshold_factor
        self._init_range(value_range)
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.random_solarize(
            key,
            images,
            self.threshold_factor,
            addition_factor=self.addition_factor,
            value_range=self.value_range,
        )


class _DeterministicLayer(nnx.Module):
    """A fixed (not random) image transform, applied in train AND eval mode.

    It holds no random state; ``deterministic=``, ``rngs=`` and ``key=`` are accepted at
    call time (so pipelines can pass them to every layer) and ignored.
    """

    def __call__(
        self,
        inputs: Any,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        """Transform ``inputs`` (in both modes).

        Args:
          inputs: images ``(N, H, W, C)`` or ``(H, W, C)``.
          deterministic: ignored (the transform is the same in both modes).
          rngs: ignored.
          key: ignored.

        Returns:
          The transformed images.
        """
        return self._transform(_float_images(inputs))


class Equalization(_DeterministicLayer):
    r"""Histogram equalisation per image and channel (Keras ``Equalization``).

    PIL's algorithm on ``bins`` levels of ``value_range`` (``augment.equalize``). Not
    random, so it is applied in train and in eval mode alike, as Keras documents ("At
    inference time, the equalization is consistently applied"; Keras 3's code returns
    the input unchanged when ``training=False``, contradicting its documentation — we
    follow the documentation, so that a model sees equalised images in both modes).
    Keras builds its level map as :math:`\mathrm{round}(255 (c_v - c_{\min}) / (N -
    c_{\min}))` (OpenCV's rule); PIL's map used here differs from it (on scikit-learn's sample
    photos by 3-6 levels on average, up to 33).

    Args:
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.
      bins: number of levels (histogram bins), Keras' default 256.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.nn import Equalization
      >>> x = jnp.repeat(jnp.array([0.0, 1.0, 2.0, 3.0]), 128).reshape(1, 512, 1)
      >>> print(jnp.unique(Equalization()(x)))
      [  0. 128. 255.]
    """

    def __init__(self, value_range: tuple[float, float] = _DEFAULT_RANGE, bins: int = 256):
        self.value_range = tuple(augment._common.check_value_range(value_range))
        augment._common.check_size(bins, "bins")
        if bins < 2:
            raise ValueError(f"bins must be at least 2; got {bins}.")
        self.bins = bins

    def _transform(self, images):
        return augment.equalize(images, value_range=self.value_range, bins=self.bins)


class AutoContrast(_DeterministicLayer):
    r"""Stretch each channel of each image to the full value range (Keras ``AutoContrast``).

    :math:`lo + (x - m)(hi - lo)/(M - m)` with :math:`m, M` the channel's minimum and
    maximum over the image; constant channels are unchanged (``augment.autocontrast``).
    Not random; applied in train and in eval mode, as Keras ("active at both training and
    inference time").

    Args:
      value_range: ``(lo, hi)`` of the pixel values, Keras' default ``(0, 255)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.nn import AutoContrast
      >>> x = jnp.array([[[0.25], [0.5], [0.75]]])
      >>> print(AutoContrast(value_range=(0, 1))(x)[0, :, 0])
      [0.  0.5 1. ]
    """

    def __init__(self, value_range: tuple[float, float] = _DEFAULT_RANGE):
        self.value_range = tuple(augment._common.check_value_range(value_range))

    def _transform(self, images):
        return augment.autocontrast(images, value_range=self.value_range)


class RandomGaussianBlur(_Layer):
    r"""Blur each image with a random :math:`\sigma \sim U(a, b)` (``random_gaussian_blur``).

    Args:
      sigma: number ``s`` (meaning ``(0, s)``) or pair.
      kernel_size: odd static size (Keras' default 3).
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomGaussianBlur
      >>> RandomGaussianBlur(1.0, rngs=nnx.Rngs(0))(jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """

    def __init__(
        self,
        sigma: Any = (0.1, 2.0),
        kernel_size: int = 3,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(sigma, "sigma", single="zero", low=0.0)
        augment._common.check_size(kernel_size, "kernel_size")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}.")
        self.sigma = sigma
        self.kernel_size = kernel_size
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.random_gaussian_blur(key, images, self.sigma, kernel_size=self.kernel_size)


class RandomErasing(_ColorLayer):
    """Random erasing (Keras ``RandomErasing``); see ``augment.random_erasing``.

    Args:
      factor: probability of erasing a box in each image, in ``[0, 1]`` (Keras draws the
        probability itself from ``(0, factor)``; here it is ``factor``).
      scale: area fraction range of the box.
      fill_value: constant fill, or ``None`` for uniform noise over ``value_range``.
      value_range: ``(lo, hi)``, default ``(0, 255)``.
      ratio: aspect-ratio range of the box.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomErasing
      >>> RandomErasing(fill_value=0.0, rngs=nnx.Rngs(0))(jnp.ones((2, 8, 8, 3))).shape
      (2, 8, 8, 3)
    """

    def __init__(
        self,
        factor: float = 1.0,
        scale: Any = (0.02, 0.33),
        fill_value: float | None = None,
        value_range: tuple[float, float] = _DEFAULT_RANGE,
        ratio: Any = (0.3, 3.3),
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        augment._common.check_probability(factor, "factor")
        factor_range(tuple(scale), "scale", low=0.0, high=1.0, low_inclusive=False)
        factor_range(tuple(ratio), "ratio", low=0.0, low_inclusive=False)
        self.factor = factor
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.fill_value = fill_value
        self._init_range(value_range)
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.random_erasing(
            key,
            images,
            probability=self.factor,
            scale=self.scale,
            ratio=self.ratio,
            fill_value=self.fill_value,
            value_range=self.value_range,
        )


class _PolicyLayer(_ColorLayer):
    def _init_policy(self, value_range, interpolation, fill_mode, fill_value):
        check_choice(interpolation, "interpolation", INTERPOLATIONS)
        check_choice(fill_mode, "fill_mode", FILL_MODES)
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self._init_range(value_range)

    def _warp_kwargs(self):
        return dict(
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            interpolation=self.interpolation,
            value_range=self.value_range,
        )


class RandAugment(_PolicyLayer):
    """RandAugment (Keras ``RandAugment``); see ``augment.rand_augment``.

    Args:
      value_range: ``(lo, hi)``, default ``(0, 255)``.
      num_ops: ops per image.
      factor: magnitude range in ``[0, 1]`` (``(0, f)`` for a number).
      interpolation: ``"bilinear"`` or ``"nearest"``.
      ops: op names (default the 14 of the paper).
      fill_mode: for the geometric ops.
      fill_value: fill for ``fill_mode="constant"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandAugment
      >>> layer = RandAugment(num_ops=2, factor=0.5, rngs=nnx.Rngs(0))
      >>> x = jnp.ones((2, 8, 8, 3))
      >>> bool((layer(x, deterministic=True) == x).all())  # eval mode: identity
      True
    """

    def __init__(
        self,
        value_range: tuple[float, float] = _DEFAULT_RANGE,
        num_ops: int = 2,
        factor: Any = 0.5,
        interpolation: str = "bilinear",
        ops: Sequence[str] | None = None,
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        augment._common.check_size(num_ops, "num_ops")
        factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
        self.num_ops = num_ops
        self.factor = factor
        self.ops = None if ops is None else tuple(ops)
        self._init_policy(value_range, interpolation, fill_mode, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.rand_augment(
            key,
            images,
            num_ops=self.num_ops,
            factor=self.factor,
            ops=self.ops,
            **self._warp_kwargs(),
        )


class TrivialAugment(_PolicyLayer):
    """TrivialAugment-Wide; see ``augment.trivial_augment``.

    Args:
      value_range: ``(lo, hi)``, default ``(0, 255)``.
      interpolation: ``"bilinear"`` or ``"nearest"``.
      ops: op names (default the 14 RandAugment ops).
      fill_mode: for the geometric ops.
      fill_value: fill for ``fill_mode="constant"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import TrivialAugment
      >>> layer = TrivialAugment(value_range=(0, 1), rngs=nnx.Rngs(0))
      >>> layer.deterministic, layer.value_range
      (False, (0.0, 1.0))
    """

    def __init__(
        self,
        value_range: tuple[float, float] = _DEFAULT_RANGE,
        interpolation: str = "bilinear",
        ops: Sequence[str] | None = None,
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        self.ops = None if ops is None else tuple(ops)
        self._init_policy(value_range, interpolation, fill_mode, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.trivial_augment(key, images, ops=self.ops, **self._warp_kwargs())


class AugMix(_PolicyLayer):
    """AugMix (Keras ``AugMix``); see ``augment.aug_mix``.

    Args:
      value_range: ``(lo, hi)``, default ``(0, 255)``.
      num_chains: number of op chains.
      chain_depth: maximal chain length.
      factor: magnitude range in ``[0, 1]``.
      alpha: Dirichlet / Beta parameter.
      all_ops: include the colour ops.
      interpolation: ``"bilinear"`` or ``"nearest"``.
      fill_mode: for the geometric ops.
      fill_value: fill for ``fill_mode="constant"``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import AugMix
      >>> layer = AugMix(rngs=nnx.Rngs(0))
      >>> layer.num_chains, layer.chain_depth, layer.factor
      (3, 3, 0.3)
    """

    def __init__(
        self,
        value_range: tuple[float, float] = _DEFAULT_RANGE,
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Any = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        augment._common.check_size(num_chains, "num_chains")
        augment._common.check_size(chain_depth, "chain_depth")
        factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
        if not alpha > 0:
            raise ValueError(f"alpha must be positive, got {alpha!r}.")
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = factor
        self.alpha = alpha
        self.all_ops = all_ops
        self._init_policy(value_range, interpolation, fill_mode, fill_value)
        self._setup(deterministic, rng_collection, rngs)

    def _augment(self, key, images):
        return augment.aug_mix(
            key,
            images,
            num_chains=self.num_chains,
            chain_depth=self.chain_depth,
            factor=self.factor,
            alpha=self.alpha,
            all_ops=self.all_ops,
            **self._warp_kwargs(),
        )


class _MixingLayer(RandomModule):
    def __call__(
        self,
        images: Any,
        labels: Any,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> tuple[jax.Array, jax.Array]:
        """Mix a batch and its labels (train mode) or return both unchanged (eval mode).

        Args:
          images: float ``(N, H, W, C)``.
          labels: float ``(N, ...)`` one-hot or soft labels.
          deterministic: overrides the attribute (``True`` = eval mode).
          rngs: an ``nnx.Rngs``, ``nnx.RngStream`` or key to draw from.
          key: an explicit PRNG key.

        Returns:
          ``(images, labels)``.
        """
        if self._deterministic(deterministic):
            return images, labels
        return self._mix(self._next_key(rngs, key), _float_images(images), labels)


class MixUp(_MixingLayer):
    """MixUp (Keras ``MixUp``): call ``layer(images, labels)``; see ``augment.mixup``.

    Args:
      alpha: Beta parameter, Keras' default 0.2.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import MixUp
      >>> x, y = jnp.ones((4, 2, 2, 3)), jax.nn.one_hot(jnp.arange(4), 4)
      >>> xm, ym = MixUp(rngs=nnx.Rngs(0))(x, y)
      >>> print(ym.sum(axis=1).round(4))
      [1. 1. 1. 1.]
    """

    def __init__(
        self,
        alpha: float = 0.2,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        if not alpha > 0:
            raise ValueError(f"alpha must be positive, got {alpha!r}.")
        self.alpha = alpha
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _mix(self, key, images, labels):
        return augment.mixup(key, images, labels, alpha=self.alpha)


class CutMix(_MixingLayer):
    r"""CutMix (Keras ``CutMix``): call ``layer(images, labels)``; see ``augment.cutmix``.

    As Keras, each call draws :math:`\alpha \sim U(a, b) + 10^{-6}` from ``factor``
    (``(0, f)`` for a number) and then :math:`\lambda \sim \mathrm{Beta}(\alpha, \alpha)`
    per image.

    Args:
      factor: number or pair in ``[0, 1]``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import CutMix
      >>> x, y = jnp.ones((4, 8, 8, 3)), jax.nn.one_hot(jnp.arange(4), 4)
      >>> layer = CutMix(rngs=nnx.Rngs(0))
      >>> xm, ym = layer(x, y, deterministic=True)  # eval mode: unchanged
      >>> bool((ym == y).all()), layer.factor
      (True, (0.0, 1.0))
    """

    def __init__(
        self,
        factor: Any = 1.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        self.factor = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _mix(self, key, images, labels):
        key_alpha, key_mix = jax.random.split(key)
        lo, hi = self.factor
        alpha = lo + (hi - lo) * jax.random.uniform(key_alpha, (), images.dtype) + 1e-6
        return augment.cutmix(key_mix, images, labels, alpha=alpha)


class AugmentationPipeline(nnx.Module):
    """Apply augmentation layers in order, fusing consecutive geometric layers.

    Each maximal run of consecutive geometric layers (``RandomFlip``,
    ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``, ``RandomShear``,
    ``RandomPerspective``, ``RandomResizedCrop``) sharing ``fill_mode``,
    ``interpolation`` and ``fill_value`` is applied as ONE resample with the product of
    the layers' per-example matrices; each layer still draws from its own stream, so
    every output pixel that the layers one by one would take from the input image is
    taken from the same place (up to the interpolation the fusion saves). Pixels that
    an intermediate layer would have *filled* are different: the fused resample reads
    the input image (or fills) where the chain would have re-used an intermediate fill;
    e.g. a translation after a crop shows real pixels from beyond the crop box where the
    unfused chain repeats the crop's edge. This is the point of fusion (one warp, no
    compounded border artefacts), not an approximation of the chain. ``RandomFlip``
    fuses with any run; ``RandomResizedCrop`` with runs whose ``fill_mode`` is
    ``"reflect"`` or ``"nearest"``, and the layers after it in the run act on its output
    size. In eval mode, layers that are the identity are skipped and
    ``RandomResizedCrop`` contributes its centred crop.

    Args:
      layers: the image layers, in order (``MixUp`` / ``CutMix`` take labels and are not
        accepted; call them after the pipeline).

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import (AugmentationPipeline, RandomFlip,
      ...     RandomRotation, RandomZoom, RandomContrast)
      >>> rngs = nnx.Rngs(0)
      >>> pipeline = AugmentationPipeline([RandomFlip("horizontal", rngs=rngs),
      ...     RandomRotation(0.1, rngs=rngs), RandomZoom(0.2, rngs=rngs),
      ...     RandomContrast(0.2, rngs=rngs)])
      >>> pipeline(jnp.ones((2, 8, 8, 3)), deterministic=True).shape
      (2, 8, 8, 3)
      >>> pipeline.num_resamples
      1
    """

    def __init__(self, layers: Sequence[nnx.Module]):
        layers = list(layers)
        for index, layer in enumerate(layers):
            if isinstance(layer, _MixingLayer):
                raise TypeError(
                    f"layers[{index}] is {type(layer).__name__}, which also needs labels; "
                    "call it after the pipeline."
                )
            if not callable(layer):
                raise TypeError(f"layers[{index}] must be callable; got {type(layer).__name__}.")
        self.layers = nnx.List(layers)

    @property
    def num_resamples(self) -> int:
        """How many resamplings one call does for the geometric layers (in train mode)."""
        return sum(1 for group in self._groups() if isinstance(group, list))

    def _groups(self):
        """Split the layers into runs of fusable geometric layers and single layers."""
        groups: list[Any] = []
        settings = None
        for layer in self.layers:
            if isinstance(layer, _GeometricLayer):
                own = layer._fusion_settings()
                if groups and isinstance(groups[-1], list):
                    joined = _join_settings(settings, own)
                    if joined is not _CONFLICT:
                        groups[-1].append(layer)
                        settings = joined
                        continue
                groups.append([layer])
                settings = own
            else:
                groups.append(layer)
                settings = None
        return groups

    def __call__(
        self,
        inputs: Any,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
    ) -> jax.Array:
        """Apply the layers (see the class docstring).

        Args:
          inputs: images ``(N, H, W, C)`` or ``(H, W, C)``.
          deterministic: passed to every layer (``True`` = eval mode).
          rngs: an ``nnx.Rngs`` / ``nnx.RngStream`` every layer draws from in turn, or a
            key from which layer ``i`` uses ``fold_in(key, i)``.

        Returns:
          The augmented images.
        """
        x = inputs
        index = 0
        for group in self._groups():
            members = group if isinstance(group, list) else [group]
            layer_rngs = [_layer_rngs(rngs, index + i) for i in range(len(members))]
            index += len(members)
            if not isinstance(group, list):
                x = group(x, deterministic=deterministic, rngs=layer_rngs[0])
                continue
            x = self._fused(group, x, deterministic, layer_rngs)
        return x

    def _fused(self, group, x, deterministic, layer_rngs):
        # a layer takes part in train mode, or in eval mode when that is not the identity
        images = _float_images(x)
        batch = images if images.ndim == 4 else images[None]
        n, h, w, _ = batch.shape
        active = []
        for layer, r in zip(group, layer_rngs, strict=True):
            off = layer._deterministic(deterministic)
            if off and layer.eval_matrix(n, h, w, batch.dtype) is None:
                continue
            active.append((layer, r, off))
        if not active:
            return x
        if len(active) == 1:
            layer, r, off = active[0]
            return layer(x, deterministic=off, rngs=None if off else r)
        matrices = []
        settings = None
        for layer, r, off in active:
            if off:
                matrices.append(layer.eval_matrix(n, h, w, batch.dtype))
            else:
                key = layer._next_key(r, None)
                matrices.append(layer.sample_matrix(key, n, h, w, batch.dtype))
            h, w = layer.output_size(h, w)
            settings = _join_settings(settings, layer._fusion_settings())
        matrix = _product(matrices)
        fill_mode, interpolation, fill_value = _concrete_settings(settings)
        out = augment.affine_transform(
            batch,
            matrix,
            fill_mode=fill_mode,
            fill_value=fill_value,
            interpolation=interpolation,
            output_shape=(h, w),
        )
        return out if images.ndim == 4 else out[0]


_CONFLICT = object()


def _join_settings(settings, own):
    """Resample settings a run and a layer both accept, or ``_CONFLICT``.

    A settings tuple is ``(fill modes accepted, interpolation, fill_value or None)``;
    ``None`` (flips) accepts everything.
    """
    if settings is None or own is None:
        return own if settings is None else settings
    modes = settings[0] & own[0]
    values = {v for v in (settings[2], own[2]) if v is not None}
    if not modes or settings[1] != own[1] or len(values) > 1:
        return _CONFLICT
    return (modes, settings[1], values.pop() if values else None)


def _concrete_settings(settings):
    if settings is None:  # flips only: exact whatever the settings
        return "reflect", "nearest", 0.0
    modes, interpolation, fill_value = settings
    fill_mode = "nearest" if "nearest" in modes else min(modes)
    return fill_mode, interpolation, 0.0 if fill_value is None else fill_value


@jax.jit
def _product(matrices):
    out = matrices[0]
    for m in matrices[1:]:
        out = out @ m
    return out


def _layer_rngs(rngs, index):
    if rngs is None or isinstance(rngs, (nnx.Rngs, nnx.RngStream)):
        return rngs
    return jax.random.fold_in(rngs, index)
