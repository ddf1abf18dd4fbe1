"""Own re-write from the facts in meta.json (BurakErguvn/Car-Prediction-CNN-Model, cnn.ipynb).

128x128 grayscale car images, 5 makes: four blocks of Conv2D(3x3, relu; 16, 32, 64, 64 filters) +
MaxPool(2, 2) + BatchNormalization + Dropout 0.3, Flatten, Dense 128 relu + BatchNormalization +
Dropout 0.3, Dense 5 softmax; Adam (default rate), categorical crossentropy, flow_from_directory
batches of 32 (rescale 1/255, shuffled), 100 epochs with the test directory as validation data and
a CSVLogger writing training.log.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([keras.Input(shape=(128, 128, 1))])
    for filters in (16, 32, 64, 64):
        model.add(layers.Conv2D(filters, 3, activation="relu"))
        model.add(layers.MaxPooling2D(pool_size=2, strides=2))
        model.add(layers.BatchNormalization())
        model.add(layers.Dropout(0.30))
    model.add(layers.Flatten())
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.BatchNormalization())
    model.add(layers.Dropout(0.30))
    model.add(layers.Dense(5, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # grayscale 128x128x1 images / 255, one-hot labels (5 classes)
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=100, shuffle=True,
              validation_data=(data["x_test"], data["y_test"]),
              callbacks=[keras.callbacks.CSVLogger("training.log")])
