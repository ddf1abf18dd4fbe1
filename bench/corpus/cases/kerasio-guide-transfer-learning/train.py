"""Own re-write from the facts in meta.json (keras.io guide: transfer learning & fine-tuning).

150x150x3 cats-vs-dogs images: random horizontal flip and rotation (0.1), a Normalization layer
mapping [0, 255] to [-1, 1], Xception without its top, GlobalAveragePooling2D, Dropout(0.2) and a
one-logit Dense; binary crossentropy from logits, batches of 32. This run: frozen Xception base (ImageNet weights in the run), new head trained for 20 epochs with Adam at its default rate.
weights=None keeps this script offline; the run used ImageNet weights.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

BASE_TRAINABLE = False


def build_model():
    augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)],
                               name="data_augmentation")
    base = keras.applications.Xception(weights=None, input_shape=(150, 150, 3), include_top=False)
    base.trainable = BASE_TRAINABLE
    inp = keras.Input(shape=(150, 150, 3))
    x = augment(inp)
    x = layers.Normalization(mean=127.5, variance=127.5 ** 2)(x)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(1)(x)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # images resized to 150x150, raw 0-255 values, labels 0/1
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=20,
              validation_data=(data["x_val"], data["y_val"]))
