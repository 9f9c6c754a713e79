"""Key-first, per-example data augmentation for images, audio and tokens.

Random ops take ``key`` first, draw independent parameters per example from it, keep
static shapes and wrap a deterministic op with explicit parameters. See
``docs/design/augment.md`` for the conventions.
"""

from jreg.augment._audio import add_noise as add_noise
from jreg.augment._audio import adjust_gain as adjust_gain
from jreg.augment._audio import frequency_mask as frequency_mask
from jreg.augment._audio import random_frequency_mask as random_frequency_mask
from jreg.augment._audio import random_gain as random_gain
from jreg.augment._audio import random_noise as random_noise
from jreg.augment._audio import random_time_mask as random_time_mask
from jreg.augment._audio import random_time_shift as random_time_shift
from jreg.augment._audio import time_mask as time_mask
from jreg.augment._audio import time_shift as time_shift
from jreg.augment._color import adjust_brightness as adjust_brightness
from jreg.augment._color import adjust_color as adjust_color
from jreg.augment._color import adjust_contrast as adjust_contrast
from jreg.augment._color import adjust_gamma as adjust_gamma
from jreg.augment._color import adjust_hue as adjust_hue
from jreg.augment._color import adjust_saturation as adjust_saturation
from jreg.augment._color import autocontrast as autocontrast
from jreg.augment._color import equalize as equalize
from jreg.augment._color import grayscale as grayscale
from jreg.augment._color import hsv_to_rgb as hsv_to_rgb
from jreg.augment._color import invert as invert
from jreg.augment._color import posterize as posterize
from jreg.augment._color import random_brightness as random_brightness
from jreg.augment._color import random_color_degeneration as random_color_degeneration
from jreg.augment._color import random_contrast as random_contrast
from jreg.augment._color import random_gamma as random_gamma
from jreg.augment._color import random_grayscale as random_grayscale
from jreg.augment._color import random_hue as random_hue
from jreg.augment._color import random_invert as random_invert
from jreg.augment._color import random_posterize as random_posterize
from jreg.augment._color import random_saturation as random_saturation
from jreg.augment._color import random_solarize as random_solarize
from jreg.augment._color import rgb_to_hsv as rgb_to_hsv
from jreg.augment._color import solarize as solarize
from jreg.augment._filters import adjust_sharpness as adjust_sharpness
from jreg.augment._filters import gaussian_blur as gaussian_blur
from jreg.augment._filters import gaussian_kernel as gaussian_kernel
from jreg.augment._filters import random_gaussian_blur as random_gaussian_blur
from jreg.augment._filters import random_sharpness as random_sharpness
from jreg.augment._geometry import center_crop as center_crop
from jreg.augment._geometry import crop as crop
from jreg.augment._geometry import flip as flip
from jreg.augment._geometry import flip_left_right as flip_left_right
from jreg.augment._geometry import flip_up_down as flip_up_down
from jreg.augment._geometry import perspective_transform as perspective_transform
from jreg.augment._geometry import random_affine as random_affine
from jreg.augment._geometry import random_affine_matrix as random_affine_matrix
from jreg.augment._geometry import random_crop as random_crop
from jreg.augment._geometry import random_flip as random_flip
from jreg.augment._geometry import random_perspective as random_perspective
from jreg.augment._geometry import random_resized_crop as random_resized_crop
from jreg.augment._geometry import random_resized_crop_matrix as random_resized_crop_matrix
from jreg.augment._geometry import random_rotation as random_rotation
from jreg.augment._geometry import random_shear as random_shear
from jreg.augment._geometry import random_translation as random_translation
from jreg.augment._geometry import random_zoom as random_zoom
from jreg.augment._geometry import resize as resize
from jreg.augment._geometry import rotate as rotate
from jreg.augment._geometry import shear as shear
from jreg.augment._geometry import translate as translate
from jreg.augment._geometry import zoom as zoom
from jreg.augment._mixing import cutmix as cutmix
from jreg.augment._mixing import cutmix_pairs as cutmix_pairs
from jreg.augment._mixing import mixup as mixup
from jreg.augment._mixing import mixup_pairs as mixup_pairs
from jreg.augment._occlusion import box_mask as box_mask
from jreg.augment._occlusion import cutout as cutout
from jreg.augment._occlusion import erase as erase
from jreg.augment._occlusion import random_erasing as random_erasing
from jreg.augment._policies import AUG_MIX_ALL_OPS as AUG_MIX_ALL_OPS
from jreg.augment._policies import AUG_MIX_OPS as AUG_MIX_OPS
from jreg.augment._policies import RAND_AUGMENT_OPS as RAND_AUGMENT_OPS
from jreg.augment._policies import aug_mix as aug_mix
from jreg.augment._policies import rand_augment as rand_augment
from jreg.augment._policies import trivial_augment as trivial_augment
from jreg.augment._tokens import mask_tokens as mask_tokens
from jreg.augment._tokens import random_span_mask as random_span_mask
from jreg.augment._tokens import random_token_replacement as random_token_replacement
from jreg.augment._tokens import span_mask as span_mask
from jreg.augment._tokens import token_dropout as token_dropout
from jreg.augment._warp import affine_transform as affine_transform
from jreg.augment._warp import flip_matrix as flip_matrix
from jreg.augment._warp import perspective_matrix as perspective_matrix
from jreg.augment._warp import rotation_matrix as rotation_matrix
from jreg.augment._warp import shear_matrix as shear_matrix
from jreg.augment._warp import translation_matrix as translation_matrix
from jreg.augment._warp import zoom_matrix as zoom_matrix

__all__ = [
    "AUG_MIX_ALL_OPS",
    "AUG_MIX_OPS",
    "RAND_AUGMENT_OPS",
    "add_noise",
    "adjust_brightness",
    "adjust_color",
    "adjust_contrast",
    "adjust_gain",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "adjust_sharpness",
    "affine_transform",
    "aug_mix",
    "autocontrast",
    "box_mask",
    "center_crop",
    "crop",
    "cutmix",
    "cutmix_pairs",
    "cutout",
    "equalize",
    "erase",
    "flip",
    "flip_left_right",
    "flip_matrix",
    "flip_up_down",
    "frequency_mask",
    "gaussian_blur",
    "gaussian_kernel",
    "grayscale",
    "hsv_to_rgb",
    "invert",
    "mask_tokens",
    "mixup",
    "mixup_pairs",
    "perspective_matrix",
    "perspective_transform",
    "posterize",
    "rand_augment",
    "random_affine",
    "random_affine_matrix",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_crop",
    "random_erasing",
    "random_flip",
    "random_frequency_mask",
    "random_gain",
    "random_gamma",
    "random_gaussian_blur",
    "random_grayscale",
    "random_hue",
    "random_invert",
    "random_noise",
    "random_perspective",
    "random_posterize",
    "random_resized_crop",
    "random_resized_crop_matrix",
    "random_rotation",
    "random_saturation",
    "random_sharpness",
    "random_shear",
    "random_solarize",
    "random_span_mask",
    "random_time_mask",
    "random_time_shift",
    "random_token_replacement",
    "random_translation",
    "random_zoom",
    "resize",
    "rgb_to_hsv",
    "rotate",
    "rotation_matrix",
    "shear",
    "shear_matrix",
    "solarize",
    "span_mask",
    "time_mask",
    "time_shift",
    "token_dropout",
    "translate",
    "translation_matrix",
    "trivial_augment",
    "zoom",
    "zoom_matrix",
]
