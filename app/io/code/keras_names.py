"""Keras names the code reader knows: layer arguments in order, optimizers, losses, callbacks, applications."""

from __future__ import annotations

from typing import Any

from app.io import keras_config, shapes

# ======================================================================================
# Keras names
# ======================================================================================

# Positional parameters of layer constructors (Keras 3 order; Keras 2 is the same for these).
_CONV_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
              "groups", "activation", "use_bias")
_SEPARABLE_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                   "depth_multiplier", "activation", "use_bias")
_DEPTHWISE_ARGS = ("kernel_size", "strides", "padding", "depth_multiplier", "data_format",
                   "dilation_rate", "activation", "use_bias")
_POOL_ARGS = ("pool_size", "strides", "padding", "data_format")
LAYER_ARGS: dict[str, tuple[str, ...]] = {
    "Dense": ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer"),
    "Activation": ("activation",),
    "Dropout": ("rate", "noise_shape", "seed"),
    "SpatialDropout1D": ("rate",), "SpatialDropout2D": ("rate",), "SpatialDropout3D": ("rate",),
    "GaussianNoise": ("stddev",), "GaussianDropout": ("rate",), "AlphaDropout": ("rate",),
    "Flatten": ("data_format",),
    "Reshape": ("target_shape",),
    "Permute": ("dims",),
    "RepeatVector": ("n",),
    "Lambda": ("function", "output_shape", "mask", "arguments"),
    "BatchNormalization": ("axis", "momentum", "epsilon", "center", "scale"),
    "LayerNormalization": ("axis", "epsilon", "center", "scale"),
    "GroupNormalization": ("groups", "axis", "epsilon"),
    "Normalization": ("axis", "mean", "variance"),
    "Rescaling": ("scale", "offset"),
    "Embedding": ("input_dim", "output_dim"),
    "LSTM": ("units", "activation", "recurrent_activation", "use_bias"),
    "GRU": ("units", "activation", "recurrent_activation", "use_bias"),
    "SimpleRNN": ("units", "activation", "use_bias"),
    "CuDNNLSTM": ("units",), "CuDNNGRU": ("units",),
    "Bidirectional": ("layer", "merge_mode"),
    "TimeDistributed": ("layer",),
    "Concatenate": ("axis",),
    "LeakyReLU": ("negative_slope",), "ELU": ("alpha",), "ReLU": ("max_value", "negative_slope", "threshold"),
    "PReLU": ("alpha_initializer",), "Softmax": ("axis",), "ThresholdedReLU": ("theta",),
    "Masking": ("mask_value",),
    "MultiHeadAttention": ("num_heads", "key_dim", "value_dim"),
    "Resizing": ("height", "width"), "CenterCrop": ("height", "width"), "RandomCrop": ("height", "width"),
    "InputLayer": ("input_shape", "batch_size", "dtype"),
    "ActivityRegularization": ("l1", "l2"),
}
for _name, _rank in (("Conv1D", 1), ("Conv2D", 2), ("Conv3D", 3), ("Convolution1D", 1),
                     ("Convolution2D", 2), ("Convolution3D", 3), ("Conv1DTranspose", 1),
                     ("Conv2DTranspose", 2), ("Conv3DTranspose", 3)):
    LAYER_ARGS[_name] = _CONV_ARGS
for _name in ("SeparableConv1D", "SeparableConv2D"):
    LAYER_ARGS[_name] = _SEPARABLE_ARGS
for _name in ("DepthwiseConv1D", "DepthwiseConv2D"):
    LAYER_ARGS[_name] = _DEPTHWISE_ARGS
for _dims in ("1D", "2D", "3D"):
    for _kind in ("MaxPooling", "AveragePooling", "MaxPool", "AvgPool"):
        LAYER_ARGS[_kind + _dims] = _POOL_ARGS
    for _kind in ("GlobalMaxPooling", "GlobalAveragePooling", "GlobalMaxPool", "GlobalAvgPool"):
        LAYER_ARGS[_kind + _dims] = ("data_format", "keepdims")
    LAYER_ARGS["ZeroPadding" + _dims] = ("padding", "data_format")
    LAYER_ARGS["Cropping" + _dims] = ("cropping", "data_format")
    LAYER_ARGS["UpSampling" + _dims] = ("size", "data_format")

_ACTIVATION_DEFAULT_LINEAR = ({"Dense"} | {n for n, a in LAYER_ARGS.items() if a in (_CONV_ARGS, _SEPARABLE_ARGS,
                                                                                  _DEPTHWISE_ARGS)})
# Keyword defaults Keras records in every config (what a saved model shows for them).
_LAYER_DEFAULTS: dict[str, dict[str, Any]] = {
    "BatchNormalization": {"momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True},
    "LSTM": {"activation": "tanh", "recurrent_activation": "sigmoid"},
    "GRU": {"activation": "tanh", "recurrent_activation": "sigmoid"},
    "SimpleRNN": {"activation": "tanh"},
}
_HAS_DATA_FORMAT = {n for n, a in LAYER_ARGS.items() if "data_format" in a}
KERAS1_RENAMES = {"nb_filter": "filters", "border_mode": "padding", "subsample": "strides",
                   "init": "kernel_initializer", "W_regularizer": "kernel_regularizer",
                   "b_regularizer": "bias_regularizer", "output_dim": "units", "dropout_rate": "rate"}

KNOWN_LAYERS = (set(LAYER_ARGS) | shapes.SIZED_CLASSES | keras_config.KNOWN_LAYER_CLASSES) - shapes.MODEL_CLASSES
OPTIMIZER_ARGS = {
    "Adam": ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"),
    "AdamW": ("learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad"),
    "Adamax": ("learning_rate", "beta_1", "beta_2", "epsilon"),
    "Nadam": ("learning_rate", "beta_1", "beta_2", "epsilon"),
    "SGD": ("learning_rate", "momentum", "nesterov"),
    "RMSprop": ("learning_rate", "rho", "momentum", "epsilon", "centered"),
    "Adagrad": ("learning_rate", "initial_accumulator_value", "epsilon"),
    "Adadelta": ("learning_rate", "rho", "epsilon"),
    "Ftrl": ("learning_rate",), "Lion": ("learning_rate", "beta_1", "beta_2"),
}
LOSS_CLASSES = {"BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
                "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "MeanSquaredError",
                "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
                "KLDivergence", "Huber", "LogCosh", "Hinge", "SquaredHinge", "CategoricalHinge",
                "Poisson", "CosineSimilarity", "Dice", "Tversky", "CTC"}
LOSS_FUNCTIONS = {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                  "mean_squared_error", "mse", "mean_absolute_error", "mae", "mape", "msle",
                  "kl_divergence", "kld", "kullback_leibler_divergence", "huber", "log_cosh", "logcosh",
                  "hinge", "squared_hinge", "categorical_hinge", "poisson", "cosine_similarity",
                  "binary_focal_crossentropy", "categorical_focal_crossentropy",
                  "mean_absolute_percentage_error", "mean_squared_logarithmic_error"}
CALLBACKS = {"EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "CSVLogger", "TensorBoard",
             "LearningRateScheduler", "TerminateOnNaN", "LambdaCallback", "History", "ProgbarLogger",
             "BackupAndRestore", "RemoteMonitor", "Callback"}
INITIALIZERS = {"GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
                "RandomNormal", "RandomUniform", "TruncatedNormal", "Zeros", "Ones", "Constant",
                "Orthogonal", "Identity", "VarianceScaling", "glorot_uniform", "glorot_normal",
                "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "zeros", "ones",
                "random_normal", "random_uniform", "truncated_normal", "orthogonal", "constant"}
_INITIALIZER_ARGS = {"Constant": ("value",), "constant": ("value",), "RandomNormal": ("mean", "stddev", "seed"),
                     "RandomUniform": ("minval", "maxval", "seed"), "TruncatedNormal": ("mean", "stddev", "seed"),
                     "VarianceScaling": ("scale", "mode", "distribution", "seed")}
REGULARIZERS = {"l1": "L1", "l2": "L2", "l1_l2": "L1L2", "L1": "L1", "L2": "L2", "L1L2": "L1L2",
                "l1l2": "L1L2", "OrthogonalRegularizer": "OrthogonalRegularizer"}
SCHEDULES = {"ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay",
             "CosineDecay", "CosineDecayRestarts"}
MODEL_CLASSES = {"Model", "Functional", "Sequential"}
FIT_METHODS = ("fit", "fit_generator")
FIT_ARGS = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split",
            "validation_data", "shuffle", "class_weight", "sample_weight", "initial_epoch",
            "steps_per_epoch", "validation_steps")
FIT_GENERATOR_ARGS = ("generator", "steps_per_epoch", "epochs", "verbose", "callbacks",
                      "validation_data", "validation_steps", "validation_freq", "class_weight",
                      "max_queue_size", "workers", "use_multiprocessing", "shuffle", "initial_epoch")
COMPILE_ARGS = ("optimizer", "loss", "metrics", "loss_weights")

# Known applications: (include_top=False total, trainable; include_top=True (1000 classes)
# total, trainable; output channels; default input side; how the spatial side shrinks).
# Counted with keras.applications(weights=None) in Keras 3.
APPLICATIONS: dict[str, tuple[int, int, int, int, int, int, str]] = {
    "VGG16": (14714688, 14714688, 138357544, 138357544, 512, 224, "floor"),
    "VGG19": (20024384, 20024384, 143667240, 143667240, 512, 224, "floor"),
    "ResNet50": (23587712, 23534592, 25636712, 25583592, 2048, 224, "ceil"),
    "ResNet101": (42658176, 42552832, 44707176, 44601832, 2048, 224, "ceil"),
    "ResNet152": (58370944, 58219520, 60419944, 60268520, 2048, 224, "ceil"),
    "ResNet50V2": (23564800, 23519360, 25613800, 25568360, 2048, 224, "ceil"),
    "ResNet101V2": (42626560, 42528896, 44675560, 44577896, 2048, 224, "ceil"),
    "ResNet152V2": (58331648, 58187904, 60380648, 60236904, 2048, 224, "ceil"),
    "MobileNet": (3228864, 3206976, 4253864, 4231976, 1024, 224, "floor"),
    "MobileNetV2": (2257984, 2223872, 3538984, 3504872, 1280, 224, "ceil"),
    "InceptionV3": (21802784, 21768352, 23851784, 23817352, 2048, 299, "inception"),
    "InceptionResNetV2": (54336736, 54276192, 55873736, 55813192, 1536, 299, "inception"),
    "Xception": (20861480, 20806952, 22910480, 22855952, 2048, 299, "ceil"),
    "DenseNet121": (7037504, 6953856, 8062504, 7978856, 1024, 224, "floor"),
    "DenseNet169": (12642880, 12484480, 14307880, 14149480, 1664, 224, "floor"),
    "DenseNet201": (18321984, 18092928, 20242984, 20013928, 1920, 224, "floor"),
    "EfficientNetB0": (4049571, 4007548, 5330571, 5288548, 1280, 224, "ceil"),
}
# BatchNormalization layers inside each application (counted with keras.applications(weights=None)
# in Keras 3): the code reader does not list an application's layers, so the rules that look
# for BatchNormalization take the count from here.
APPLICATION_BATCHNORM: dict[str, int] = {
    "VGG16": 0, "VGG19": 0, "ResNet50": 53, "ResNet101": 104, "ResNet152": 155, "ResNet50V2": 49,
    "ResNet101V2": 100, "ResNet152V2": 151, "MobileNet": 27, "MobileNetV2": 52, "InceptionV3": 94,
    "InceptionResNetV2": 204, "Xception": 40, "DenseNet121": 121, "DenseNet169": 169, "DenseNet201": 201,
    "EfficientNetB0": 49,
}
# Modules whose names mean Keras (import aliases are resolved to these paths).
_BARE_MODULES = {"keras": "keras", "tf": "tf", "tensorflow": "tf", "layers": "keras.layers",
                 "models": "keras.models", "optimizers": "keras.optimizers", "losses": "keras.losses",
                 "callbacks": "keras.callbacks", "K": "keras.backend", "backend": "keras.backend",
                 "engine": "keras.engine", "applications": "keras.applications",
                 "regularizers": "keras.regularizers", "initializers": "keras.initializers",
                 "activations": "keras.activations"}
# What a bare name without an import most likely is (pasted snippets rarely show imports).
_BARE_CATEGORY = {"Input": "keras.layers", "Model": "keras.models", "Sequential": "keras.models",
                  "to_categorical": "keras.utils"}
_NUMERIC_MODULES = {"numpy": "np", "np": "np", "math": "math"}


def _is_keras_path(path: str) -> bool:
    return path == "keras" or path.startswith("keras.")


def _normalize_path(path: str) -> str:
    """``tensorflow.keras.layers.Dense`` / ``tf_keras.layers`` / ``tf.keras`` -> ``keras.layers...``."""
    for prefix in ("tensorflow.python.keras", "tensorflow.keras", "tf.keras", "tf_keras", "keras.src",
                   "tensorflow.compat.v1.keras", "tf.compat.v1.keras", "tensorflow.compat.v2.keras"):
        if path == prefix or path.startswith(prefix + "."):
            return "keras" + path[len(prefix):]
    if path == "tensorflow" or path.startswith("tensorflow."):
        return "tf" + path[len("tensorflow"):]
    return path
