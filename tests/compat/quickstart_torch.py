"""A PyTorch program, run by humblenet: the model, training loop and test loop of PyTorch's
"Quickstart" tutorial, on Fashion-MNIST.

Apart from the imports, every line is what a PyTorch user writes: an ``nn.Module`` subclass with
``nn.Flatten`` and an ``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU``, ``nn.CrossEntropyLoss``,
``torch.optim.SGD``, a ``DataLoader`` over a ``TensorDataset``, ``loss.backward()``,
``optimizer.step()``, ``model.train()`` / ``model.eval()`` and ``torch.no_grad()``. The data comes
from ``humblenet.data`` instead of torchvision, shaped as torchvision's ``ToTensor`` gives it
(float32 images of shape (N, 1, 28, 28) in [0, 1], int64 labels).

``tests/compat/test_torch_quickstart.py`` also runs this file with the three humblenet imports
replaced by ``import torch``, ``from torch import nn`` and ``from torch.utils.data import ...``,
and compares the two.

Run it (Fashion-MNIST installed, e.g. Debian's ``dataset-fashion-mnist``)::

    python tests/compat/quickstart_torch.py --epochs 5
"""

from __future__ import annotations

import argparse

import humblenet as torch
from humblenet import nn
from humblenet.data import load_dataset
from humblenet.utils.data import DataLoader, TensorDataset

# No GPU here: humblenet answers that no accelerator is available, so this picks "cpu".
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"


def fashion_mnist(train_size: int | None = None, test_size: int | None = None):
    """Fashion-MNIST's training and test sets as two TensorDatasets (the first ``train_size``
    and ``test_size`` samples of each, all when None)."""
    (x_train, y_train), (x_test, y_test) = load_dataset("fashion-mnist")

    def dataset(images, labels, size):
        images = images[:size, None]  # (N, 28, 28) -> (N, 1, 28, 28): one channel
        return TensorDataset(torch.from_numpy(images), torch.from_numpy(labels[:size]))

    return dataset(x_train, y_train, train_size), dataset(x_test, y_test, test_size)


class NeuralNetwork(nn.Module):
    """784 pixels -> 512 -> 512 -> 10 scores, with ReLU between the layers."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)  # (N, 1, 28, 28) -> (N, 784)
        logits = self.linear_relu_stack(x)
        return logits


def train(dataloader, model, loss_fn, optimizer):
    """One pass over the training batches; returns the last batch's loss."""
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)

        pred = model(X)
        loss = loss_fn(pred, y)

        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        last_loss = loss.item()  # to return at the end

        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
    return last_loss


def test(dataloader, model, loss_fn):
    """The accuracy (a fraction) and mean loss over the test batches."""
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct, test_loss


def run(model, training_data, test_data, epochs=5, batch_size=64):
    """Train ``model`` for ``epochs`` with the tutorial's loss, optimizer and batches (in order,
    unshuffled); returns the last training loss, the test accuracy and the test loss."""
    train_dataloader = DataLoader(training_data, batch_size=batch_size)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    for t in range(epochs):
        print(f"Epoch {t + 1}\n-------------------------------")
        last_loss = train(train_dataloader, model, loss_fn, optimizer)
        accuracy, test_loss = test(test_dataloader, model, loss_fn)
    return last_loss, accuracy, test_loss


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-size", type=int, default=None, help="samples (default: all)")
    parser.add_argument("--test-size", type=int, default=None, help="samples (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    training_data, test_data = fashion_mnist(args.train_size, args.test_size)
    for X, y in DataLoader(test_data, batch_size=64):
        print(f"Shape of X [N, C, H, W]: {X.shape}")
        print(f"Shape of y: {y.shape} {y.dtype}")
        break
    print(f"Using {device} device")

    model = NeuralNetwork().to(device)
    print(model)
    run(model, training_data, test_data, args.epochs)
    print("Done!")


if __name__ == "__main__":
    main()
