"""Own re-write from the facts in meta.json (CSDN sinat_26917383 article 72982230, mode two).

InceptionV3 with the first 172 layers frozen and the rest trainable, global-average-pool +
Dense(1024, relu) + Dense(5, softmax) head, SGD(lr=0.0001, momentum=0.9) + categorical
crossentropy. weights=None so that building needs no download; the post starts from ImageNet.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

N_CLASSES = 5
FC_SIZE = 1024
N_FROZEN = 172


def build_model():
    base = keras.applications.InceptionV3(weights=None, include_top=False,
                                          input_shape=(299, 299, 3))
    x = layers.GlobalAveragePooling2D()(base.output)
    x = layers.Dense(FC_SIZE, activation="relu")(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    model = keras.Model(base.input, out)
    for layer in model.layers[:N_FROZEN]:
        layer.trainable = False
    for layer in model.layers[N_FROZEN:]:
        layer.trainable = True
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0001, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=16, epochs=3,
              validation_data=(data["x_val"], data["y_val"]))
