"""Own re-write from the facts in meta.json (keras.io example: involution, the involution network).

Three involution layers on CIFAR-10 (channel 3, kernel 3, stride 1, reduction ratio 2), each
followed by ReLU (max-pooling after the first two), then Flatten, Dense(64, relu), Dense(10) logits;
Adam, sparse categorical crossentropy from logits, batch 256, 20 epochs. 13,080 weights.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Involution(layers.Layer):
    """Per-pixel kernels generated from the input, applied to the k x k neighbourhood (own code)."""

    def __init__(self, channel, group_number, kernel_size, stride, reduction_ratio, **kwargs):
        super().__init__(**kwargs)
        self.channel = channel
        self.group_number = group_number
        self.kernel_size = kernel_size
        self.stride = stride
        self.reduction_ratio = reduction_ratio
        self.kernel_gen = keras.Sequential([
            layers.Conv2D(channel // reduction_ratio, 1),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2D(kernel_size * kernel_size * group_number, 1),
        ])

    def build(self, input_shape):
        self.kernel_gen.build(input_shape)
        super().build(input_shape)

    def call(self, x):
        k, g = self.kernel_size, self.group_number
        h, w, c = tf.shape(x)[1], tf.shape(x)[2], x.shape[-1]
        kernel = self.kernel_gen(x)                                    # (B, H, W, k*k*G)
        kernel = tf.reshape(kernel, (-1, h, w, k * k, 1, g))
        patches = tf.image.extract_patches(x, sizes=[1, k, k, 1], strides=[1, 1, 1, 1],
                                           rates=[1, 1, 1, 1], padding="SAME")
        patches = tf.reshape(patches, (-1, h, w, k * k, c // g, g))
        out = tf.reduce_sum(kernel * patches, axis=3)                  # (B, H, W, C/G, G)
        return tf.reshape(out, (-1, h, w, self.channel))

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.channel,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(channel=self.channel, group_number=self.group_number, kernel_size=self.kernel_size,
                   stride=self.stride, reduction_ratio=self.reduction_ratio)
        return cfg


def build_model():
    inp = keras.Input(shape=(32, 32, 3))
    x = Involution(3, 1, 3, 1, 2, name="inv_1")(inp)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D(2)(x)
    x = Involution(3, 1, 3, 1, 2, name="inv_2")(x)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D(2)(x)
    x = Involution(3, 1, 3, 1, 2, name="inv_3")(x)
    x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    out = layers.Dense(10)(x)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # CIFAR-10 (the example feeds tf.data batches of 256)
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=256, epochs=20,
              validation_data=(data["x_test"], data["y_test"]))
