"""humblenet.sklearn.MLPClassifier / MLPRegressor against scikit-learn's, side by side in one
process: the same settings (defaults: hidden (100,), relu, Adam 0.001, alpha 1e-4, batch
min(200, n), tol 1e-4, n_iter_no_change 10), the same standardized stratified split (seeded),
test accuracy (R² for diabetes) and fit time of both, and the ratio of fit times.

Fashion-MNIST is a subset: the first 10,000 training images (pixels / 255), tested on the
10,000 test images, max_iter 30 for both (to keep the run short).

    python benchmarks/bench_sklearn.py
"""

from __future__ import annotations

import time
import warnings

from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler

from humblenet.sklearn import MLPClassifier, MLPRegressor


def _tabular(loader, classification):
    x, y = loader(return_X_y=True)
    if not classification:
        y = (y - y.mean()) / y.std()
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y if classification else None
    )
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


def _fashion():
    from humblenet.keras.datasets import fashion_mnist

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train[:10_000].reshape(10_000, -1) / 255.0
    return x_train, x_test.reshape(len(x_test), -1) / 255.0, y_train[:10_000], y_test


def _timed(estimator, x, y):
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(x, y)
    return time.perf_counter() - started


def main() -> None:
    cases = [
        ("iris", lambda: _tabular(datasets.load_iris, True), True, 200),
        ("wine", lambda: _tabular(datasets.load_wine, True), True, 200),
        ("breast cancer", lambda: _tabular(datasets.load_breast_cancer, True), True, 200),
        ("digits", lambda: _tabular(datasets.load_digits, True), True, 200),
        ("diabetes (R²)", lambda: _tabular(datasets.load_diabetes, False), False, 200),
        ("Fashion-MNIST 10k", _fashion, True, 30),
    ]
    print("| data set | humblenet | scikit-learn | ours s | sklearn s | ratio |")
    print("|---|---|---|---|---|---|")
    for name, load, classification, max_iter in cases:
        try:
            x_train, x_test, y_train, y_test = load()
        except (OSError, ValueError) as error:
            print(f"| {name} | skipped: {error} | | | | |")
            continue
        ours_cls, theirs_cls = (
            (MLPClassifier, SkClassifier)
            if classification
            else (
                MLPRegressor,
                SkRegressor,
            )
        )
        ours = ours_cls(max_iter=max_iter, random_state=0)
        theirs = theirs_cls(max_iter=max_iter, random_state=0)
        ours_time = _timed(ours, x_train, y_train)
        theirs_time = _timed(theirs, x_train, y_train)
        print(
            f"| {name} | {ours.score(x_test, y_test):.3f} | {theirs.score(x_test, y_test):.3f} "
            f"| {ours_time:.2f} | {theirs_time:.2f} | {ours_time / theirs_time:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
