"""Checkers for the notebooks' exercises: specific feedback, never just "wrong".

Each checker takes the learner's answer (a value or a function), tests it, and returns
a :class:`Feedback` that shows as a coloured box in a notebook and as text elsewhere.
The checkers live in one module per part of the course, and the checkers of the
"build a Keras block" exercises in two more (``build_blocks`` for notebooks 01-05,
``build_segmentation`` for 06-11); import them from here.

The feedback is in English, or in Korean when ``COURSE_LANG=ko`` (also ``ko_KR``, ``ko-KR``);
the variable is read each time a checker runs (:func:`current_language`), so
``%env COURSE_LANG=ko`` in a running notebook takes effect at the next check.

A wrong answer's feedback names the expected value in the teacher's copy ("the right size is
30"); the student edition's setup cells call :func:`hide_answers`, and then a checker says
what is wrong and hints, never the answer (see ``_answers``; ``COURSE_ANSWERS=hidden`` does
the same). ``feedback.assert_correct()`` raises unless the answer is right: the form of the
autograded test cells of the nbgrader export (``course nbgrader``).
"""

from course_utils.exercises._answers import answers_shown, hide_answers, show_answers
from course_utils.exercises._feedback import ExerciseNotPassed, Feedback
from course_utils.exercises._lang import current_language
from course_utils.exercises.build_blocks import (
    check_conv_head,
    check_dense_to_conv,
    check_residual_block,
    check_separable_conv,
    check_vgg_block,
)
from course_utils.exercises.build_segmentation import (
    check_crop_and_concat,
    check_fcn_fusion,
    check_flip_tta,
    check_image_pooling_branch,
    check_segnet_decoder_stage,
    check_skip_decoder_step,
)
from course_utils.exercises.part1 import (
    check_batch_norm,
    check_conv_output_size,
    check_cross_correlation,
    check_cross_entropy,
    check_inception_params,
    check_most_confused,
    check_param_counts,
    check_stacked_receptive_field,
)
from course_utils.exercises.part2 import (
    check_accuracy_and_miou,
    check_dice,
    check_flatten_dense_params,
    check_instance_count,
    check_median_frequency,
    check_receptive_field,
    check_separable_params,
    check_transposed_conv_1d,
)
from course_utils.exercises.part3 import (
    check_argmax_index,
    check_atrous_conversion,
    check_bilinear_kernel,
    check_border_term,
    check_fcn_score_sizes,
    check_max_unpool,
    check_pareto_front,
    check_rank_correlation,
    check_taps_inside,
    check_tile_count,
    check_valid_unet_output,
)
from course_utils.exercises.part4 import check_centre_crop, check_class_shares

__all__ = [
    "ExerciseNotPassed",
    "Feedback",
    "answers_shown",
    "check_accuracy_and_miou",
    "check_argmax_index",
    "check_atrous_conversion",
    "check_batch_norm",
    "check_bilinear_kernel",
    "check_border_term",
    "check_centre_crop",
    "check_class_shares",
    "check_conv_head",
    "check_conv_output_size",
    "check_crop_and_concat",
    "check_cross_correlation",
    "check_cross_entropy",
    "check_dense_to_conv",
    "check_dice",
    "check_fcn_fusion",
    "check_fcn_score_sizes",
    "check_flatten_dense_params",
    "check_flip_tta",
    "check_image_pooling_branch",
    "check_inception_params",
    "check_instance_count",
    "check_max_unpool",
    "check_median_frequency",
    "check_most_confused",
    "check_param_counts",
    "check_pareto_front",
    "check_rank_correlation",
    "check_receptive_field",
    "check_residual_block",
    "check_segnet_decoder_stage",
    "check_separable_conv",
    "check_separable_params",
    "check_skip_decoder_step",
    "check_stacked_receptive_field",
    "check_taps_inside",
    "check_tile_count",
    "check_transposed_conv_1d",
    "check_valid_unet_output",
    "check_vgg_block",
    "current_language",
    "hide_answers",
    "show_answers",
]
