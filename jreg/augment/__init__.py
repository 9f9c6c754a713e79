"""Key-first, per-example data augmentation for images, audio and tokens.

Random ops take ``key`` first, draw independent parameters per example from it, keep
static shapes and wrap a deterministic op with explicit parameters. See
``docs/design/augment.md`` for the conventions.
"""

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
from jreg.augment._warp import affine_transform as affine_transform
from jreg.augment._warp import flip_matrix as flip_matrix
from jreg.augment._warp import perspective_matrix as perspective_matrix
from jreg.augment._warp import rotation_matrix as rotation_matrix
from jreg.augment._warp import shear_matrix as shear_matrix
from jreg.augment._warp import translation_matrix as translation_matrix
from jreg.augment._warp import zoom_matrix as zoom_matrix

__all__ = [
    "affine_transform",
    "center_crop",
    "crop",
    "flip",
    "flip_left_right",
    "flip_matrix",
    "flip_up_down",
    "perspective_matrix",
    "perspective_transform",
    "random_affine",
    "random_affine_matrix",
    "random_crop",
    "random_flip",
    "random_perspective",
    "random_resized_crop",
    "random_resized_crop_matrix",
    "random_rotation",
    "random_shear",
    "random_translation",
    "random_zoom",
    "resize",
    "rotate",
    "rotation_matrix",
    "shear",
    "shear_matrix",
    "translate",
    "translation_matrix",
    "zoom",
    "zoom_matrix",
]
