"""Flax NNX modules: the dropout family, augmentation layers, model penalties, constraints.

Every random layer is built like :class:`flax.nnx.Dropout`: constructed in train mode,
random in train mode, the exact identity in eval mode (``model.eval()``), with keys from
an ``nnx.Rngs`` stream (default ``'dropout'``) or an explicit ``key=`` at call time.
"""

from ._augmentation import AugmentationPipeline as AugmentationPipeline
from ._augmentation import AugMix as AugMix
from ._augmentation import AutoContrast as AutoContrast
from ._augmentation import CutMix as CutMix
from ._augmentation import Equalization as Equalization
from ._augmentation import MixUp as MixUp
from ._augmentation import RandAugment as RandAugment
from ._augmentation import RandomBrightness as RandomBrightness
from ._augmentation import RandomColorDegeneration as RandomColorDegeneration
from ._augmentation import RandomContrast as RandomContrast
from ._augmentation import RandomCrop as RandomCrop
from ._augmentation import RandomErasing as RandomErasing
from ._augmentation import RandomFlip as RandomFlip
from ._augmentation import RandomGaussianBlur as RandomGaussianBlur
from ._augmentation import RandomGrayscale as RandomGrayscale
from ._augmentation import RandomHue as RandomHue
from ._augmentation import RandomInvert as RandomInvert
from ._augmentation import RandomPerspective as RandomPerspective
from ._augmentation import RandomPosterization as RandomPosterization
from ._augmentation import RandomResizedCrop as RandomResizedCrop
from ._augmentation import RandomRotation as RandomRotation
from ._augmentation import RandomSaturation as RandomSaturation
from ._augmentation import RandomSharpness as RandomSharpness
from ._augmentation import RandomShear as RandomShear
from ._augmentation import RandomTranslation as RandomTranslation
from ._augmentation import RandomZoom as RandomZoom
from ._augmentation import Solarization as Solarization
from ._augmentation import TrivialAugment as TrivialAugment
from ._augmentation_audio_text import FrequencyMasking as FrequencyMasking
from ._augmentation_audio_text import RandomGain as RandomGain
from ._augmentation_audio_text import RandomNoise as RandomNoise
from ._augmentation_audio_text import RandomTimeShift as RandomTimeShift
from ._augmentation_audio_text import RandomTokenReplacement as RandomTokenReplacement
from ._augmentation_audio_text import SpanMasking as SpanMasking
from ._augmentation_audio_text import TimeMasking as TimeMasking
from ._augmentation_audio_text import TokenDropout as TokenDropout
from ._constraints import MaxNorm as MaxNorm
from ._constraints import MinMaxNorm as MinMaxNorm
from ._constraints import NonNeg as NonNeg
from ._constraints import UnitNorm as UnitNorm
from ._constraints import apply_constraints as apply_constraints
from ._constraints import constraints as constraints
from ._constraints import param_mask as param_mask
from ._drop_structured import DropBlock2D as DropBlock2D
from ._drop_structured import DropConnect as DropConnect
from ._drop_structured import DropPath as DropPath
from ._dropout import AlphaDropout as AlphaDropout
from ._dropout import Dropout as Dropout
from ._dropout import GaussianDropout as GaussianDropout
from ._dropout import GaussianNoise as GaussianNoise
from ._dropout import SpatialDropout1D as SpatialDropout1D
from ._dropout import SpatialDropout2D as SpatialDropout2D
from ._dropout import SpatialDropout3D as SpatialDropout3D
from ._penalties import ActivityLoss as ActivityLoss
from ._penalties import ActivityRegularization as ActivityRegularization
from ._penalties import PenaltySpec as PenaltySpec
from ._penalties import activity_loss as activity_loss
from ._penalties import penalty as penalty

__all__ = [
    "ActivityLoss",
    "ActivityRegularization",
    "AlphaDropout",
    "AugMix",
    "AugmentationPipeline",
    "AutoContrast",
    "CutMix",
    "DropBlock2D",
    "DropConnect",
    "DropPath",
    "Dropout",
    "Equalization",
    "FrequencyMasking",
    "GaussianDropout",
    "GaussianNoise",
    "MaxNorm",
    "MinMaxNorm",
    "MixUp",
    "NonNeg",
    "PenaltySpec",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomContrast",
    "RandomCrop",
    "RandomErasing",
    "RandomFlip",
    "RandomGain",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomNoise",
    "RandomPerspective",
    "RandomPosterization",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTimeShift",
    "RandomTokenReplacement",
    "RandomTranslation",
    "RandomZoom",
    "Solarization",
    "SpanMasking",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "TimeMasking",
    "TokenDropout",
    "TrivialAugment",
    "UnitNorm",
    "activity_loss",
    "apply_constraints",
    "constraints",
    "param_mask",
    "penalty",
]
