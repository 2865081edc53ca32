"""Custom layers of the Part 3 models: SegNet's pooling indices and unpooling, FCN's
bilinear initialiser, and a resize to another tensor's size (DeepLab's image pooling).

They are registered with Keras, so saved models load with ``keras.models.load_model``
(:func:`course_utils.models.register_custom_objects` imports this module).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from course_utils import ops as reference_ops


@keras.saving.register_keras_serializable(package="course_utils")
class MaxPoolWithArgmax(keras.layers.Layer):
    """2x2 max pooling that also returns where each maximum came from (SegNet's encoder).

    Returns ``[pooled, indices]``. The indices are int64 flat positions in the whole input
    tensor, batch included (``((b * H + y) * W + x) * C + c``), as
    ``tf.nn.max_pool_with_argmax(..., include_batch_in_index=True)`` gives them. Odd
    sizes round up (``"SAME"`` padding): a 45-pixel side pools to 23, and
    :class:`MaxUnpool` restores 45 from the pre-pooling tensor's shape.

    TensorFlow only (the op has no JAX or PyTorch kernel) and not XLA-compilable, so
    models that use it train without ``jit_compile``; it runs on CPU and GPU.
    """

    def __init__(self, pool_size: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self.supports_jit = False

    def call(self, inputs):
        import tensorflow as tf

        pooled, indices = tf.nn.max_pool_with_argmax(
            inputs,
            ksize=self.pool_size,
            strides=self.pool_size,
            padding="SAME",
            include_batch_in_index=True,
        )
        return [pooled, tf.stop_gradient(indices)]

    def compute_output_shape(self, input_shape):
        def pooled(n):
            return None if n is None else -(-n // self.pool_size)

        b, h, w, c = input_shape
        shape = (b, pooled(h), pooled(w), c)
        return [shape, shape]

    def compute_output_spec(self, inputs):
        shape = self.compute_output_shape(inputs.shape)[0]
        return [
            keras.KerasTensor(shape, dtype=inputs.dtype),
            keras.KerasTensor(shape, dtype="int64"),
        ]

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size}


@keras.saving.register_keras_serializable(package="course_utils")
class MaxUnpool(keras.layers.Layer):
    """Put each value back where its maximum was (SegNet's decoder); zeros elsewhere.

    Called as ``MaxUnpool()([values, indices, like])``: ``values`` and ``indices`` have
    the pooled shape (``values`` may have been processed since pooling, as long as the
    shape is kept), and ``like`` is the tensor that was pooled; the output takes its
    shape, so odd sizes come back exactly.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_jit = False

    def call(self, inputs):
        import tensorflow as tf

        values, indices, like = inputs
        shape = tf.shape(like, out_type=tf.int64)
        flat = tf.scatter_nd(
            tf.reshape(indices, (-1, 1)),
            tf.reshape(values, (-1,)),
            shape=tf.reshape(tf.reduce_prod(shape), (1,)),
        )
        return tf.reshape(flat, shape)

    def compute_output_shape(self, input_shape):
        return input_shape[2]

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs[2].shape, dtype=inputs[0].dtype)


@keras.saving.register_keras_serializable(package="course_utils")
class BilinearUpsampling(keras.initializers.Initializer):
    """Kernel initialiser that makes ``Conv2DTranspose(strides=factor)`` start as
    bilinear interpolation, channel by channel (FCN's initialisation).

    Use with ``kernel_size = 2 * factor - factor % 2`` and ``padding="same"``. Input and
    output channel counts must match: channel ``c`` is interpolated into channel ``c``.
    """

    def __init__(self, factor: int):
        self.factor = int(factor)

    def __call__(self, shape, dtype=None):
        kh, kw, out_channels, in_channels = shape
        if kh != kw or kh != 2 * self.factor - self.factor % 2:
            raise ValueError(
                f"BilinearUpsampling({self.factor}) needs a {2 * self.factor - self.factor % 2}"
                f"-pixel square kernel, got {kh}x{kw}."
            )
        if out_channels != in_channels:
            raise ValueError(
                f"BilinearUpsampling maps each channel to itself: in and out channels must "
                f"match, got {in_channels} in and {out_channels} out."
            )
        kernel = np.zeros(shape, np.float32)
        tent = reference_ops.bilinear_kernel(self.factor)
        for c in range(in_channels):
            kernel[:, :, c, c] = tent
        return ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable(package="course_utils")
class UnpoolingFill(keras.initializers.Initializer):
    """Kernel initialiser for the first convolution after a max unpooling (SegNet's
    decoder): each channel starts as a box over itself, plus a smaller random part.

    Max unpooling leaves one value in each 2x2 block and zeros in the other three, at
    the position the encoder's maximum had. With random weights the decoder must first
    learn to spread those values over their blocks; a box the size of the kernel (at
    least 3x3, so that every position of a block sees the block's one value) does it from
    the start. It is a blur, not a copy: each output is the sum of the 3x3 neighbourhood,
    so it also takes in values of the neighbouring blocks, unlike nearest up-sampling.
    The random part
    (He normal, times ``random_scale``) breaks the symmetry so the convolution can learn
    to use the positions.

    Args:
        random_scale: weight of the He-normal part.
        seed: the random part's seed.
    """

    def __init__(self, random_scale: float = 0.5, seed: int | None = None):
        self.random_scale = float(random_scale)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        kh, kw, in_channels, out_channels = shape
        if kh < 3 or kw < 3:
            raise ValueError(
                "UnpoolingFill needs a kernel of at least 3x3, so that every position of a "
                f"2x2 block reaches the block's unpooled value; got {kh}x{kw}."
            )
        box = np.zeros(shape, np.float32)
        for c in range(min(in_channels, out_channels)):
            box[:, :, c, c] = 1.0
        noise = keras.initializers.HeNormal(seed=self.seed)(shape, dtype="float32")
        return ops.cast(box + self.random_scale * noise, dtype or "float32")

    def get_config(self):
        return {"random_scale": self.random_scale, "seed": self.seed}


@keras.saving.register_keras_serializable(package="course_utils")
class ResizeLike(keras.layers.Layer):
    """Bilinearly resize ``x`` to the height and width of ``like``: ``ResizeLike()([x, like])``.

    Works for any input size, known or not at build time (DeepLab's image-level pooling
    branch and its decoder use it).
    """

    def call(self, inputs):
        x, like = inputs
        size = tuple(ops.shape(like)[1:3])
        if all(isinstance(d, int) for d in size):
            return ops.image.resize(x, size, interpolation="bilinear")
        # Sizes known only when it runs (a model built for (None, None, 3), traced for
        # training): Keras' resize checks the size in Python, so call TensorFlow's, the
        # same bilinear resize (Keras' TensorFlow backend calls it too).
        import tensorflow as tf

        resized = tf.image.resize(x, tf.shape(like)[1:3], method="bilinear")
        return ops.cast(resized, x.dtype)

    def compute_output_shape(self, input_shape):
        x_shape, like_shape = input_shape
        return (x_shape[0], like_shape[1], like_shape[2], x_shape[3])
