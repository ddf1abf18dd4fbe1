"""Own re-write (tf.keras) from the facts in meta.json (aymericdamien/TensorFlow-Examples, TF1
recurrent network notebook).

MNIST images read as 28 time steps of 28 pixels: one LSTM of 128 units (forget bias 1.0), the last
output through a 10-unit linear layer initialised from a standard normal (the notebook's
tf.random_normal weights and biases); softmax crossentropy on the logits with one-hot labels,
plain gradient descent at 0.001, minibatches of 128 for 10,000 steps. The notebook builds the
graph by hand; fit() with steps_per_epoch=10000 is the same schedule.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    normal = keras.initializers.RandomNormal(mean=0.0, stddev=1.0)
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.LSTM(128, unit_forget_bias=True),
        layers.Dense(10, kernel_initializer=normal, bias_initializer=normal),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # MNIST in [0, 1] reshaped to (N, 28, 28), one-hot labels
    ds = (tf.data.Dataset.from_tensor_slices((data["x_train"], data["y_train"]))
          .shuffle(55000).repeat().batch(128))
    model = build_model()
    model.fit(ds, steps_per_epoch=10000, epochs=1, verbose=2)
    model.evaluate(data["x_test"][:128], data["y_test"][:128], verbose=2)
