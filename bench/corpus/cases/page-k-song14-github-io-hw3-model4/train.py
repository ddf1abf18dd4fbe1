# Written for the TrainDoc corpus from the facts in meta.json (not the author's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    base = keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False,
                                          weights=None)  # the source loads ImageNet weights; None keeps this script offline
    base.trainable = False
    model = keras.Sequential([
        keras.Input(shape=(160, 160, 3)),
        layers.Rescaling(1.0 / 127.5, offset=-1.0),  # stands for mobilenet_v2.preprocess_input used in the source
        layers.RandomFlip("horizontal_and_vertical"),
        layers.RandomRotation(0.2),
        base,
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(2),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # cats vs dogs, 160x160 RGB, labels 0/1
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=20,
              validation_data=(data["x_val"], data["y_val"]))
