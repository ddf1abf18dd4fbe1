"""Own re-write from the facts in meta.json (aymericdamien/TensorFlow-Examples, TF2 convnet notebook).

Conv2D(32, 5, relu) + MaxPool(2, 2), Conv2D(64, 3, relu) + MaxPool(2, 2), Flatten, Dense(1024)
(linear, as in the notebook), Dropout 0.5, Dense(10) logits; sparse softmax crossentropy on the
logits, Adam 1e-3, batches of 128 drawn from a shuffled, repeated tf.data pipeline for 200 steps.
The notebook trains with a GradientTape loop; fit() with steps_per_epoch=200 is the same schedule.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 5, activation="relu"),
        layers.MaxPooling2D(2, strides=2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2, strides=2),
        layers.Flatten(),
        layers.Dense(1024),
        layers.Dropout(0.5),
        layers.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # MNIST as float32 / 255, shape (N, 28, 28, 1)
    ds = (tf.data.Dataset.from_tensor_slices((data["x_train"], data["y_train"]))
          .repeat().shuffle(5000).batch(128).prefetch(1))
    model = build_model()
    model.fit(ds, steps_per_epoch=200, epochs=1, verbose=2)
    model.evaluate(data["x_test"], data["y_test"], verbose=2)
