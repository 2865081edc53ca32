"""Interactive explorers for the notebooks, each with a static fallback.

Every explorer keeps its logic in plain functions (tested in pytest) and shows itself
with :func:`show`, which sends the live widget together with a PNG of its default
state: JupyterLab renders the widget; a rendered page or an editor without a live
kernel shows the picture.
"""

from course_utils.widgets.conv_explorer import ConvExplorer, conv_explorer_state
from course_utils.widgets.dataset_browser import DatasetBrowser, browser_state
from course_utils.widgets.display import show
from course_utils.widgets.photo_segmenter import PhotoSegmenter, photo_state
from course_utils.widgets.prediction_explorer import PredictionExplorer, prediction_state
from course_utils.widgets.receptive_field import ReceptiveFieldExplorer, receptive_field_state
from course_utils.widgets.training_curves import TrainingCurves, curves_state
from course_utils.widgets.upsampling import METHODS, UpsamplingExplorer, upsampling_state

__all__ = [
    "METHODS",
    "ConvExplorer",
    "DatasetBrowser",
    "PhotoSegmenter",
    "PredictionExplorer",
    "ReceptiveFieldExplorer",
    "TrainingCurves",
    "UpsamplingExplorer",
    "browser_state",
    "conv_explorer_state",
    "curves_state",
    "photo_state",
    "prediction_state",
    "receptive_field_state",
    "show",
    "upsampling_state",
]
