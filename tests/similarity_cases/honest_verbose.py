import numpy as np


def perceptron_predict(X, w, b):
    raw_scores = np.dot(X, w)
    shifted_scores = raw_scores + b
    predictions = np.sign(shifted_scores)
    predictions[predictions == 0] = 1
    return predictions.astype(int)


def perceptron_train(X, y, lr=1.0, max_epochs=100):
    number_of_examples, number_of_features = X.shape
    weight_vector = np.zeros(number_of_features)
    bias_term = 0.0
    mistake_counter = 0
    for current_epoch in range(max_epochs):
        mistakes_before = mistake_counter
        for example_index in range(number_of_examples):
            example = X[example_index]
            label = y[example_index]
            functional_margin = label * (np.dot(weight_vector, example) + bias_term)
            if functional_margin > 0:
                continue
            weight_vector = weight_vector + lr * label * example
            bias_term = bias_term + lr * label
            mistake_counter = mistake_counter + 1
        if mistake_counter == mistakes_before:
            return weight_vector, float(bias_term), mistake_counter
    return weight_vector, float(bias_term), mistake_counter


def mistake_bound(X, y, w, b):
    augmented_inputs = np.hstack([X, np.ones((len(X), 1))])
    augmented_weights = np.concatenate([w, np.array([b])])
    weight_length = np.linalg.norm(augmented_weights)
    signed_distances = y * np.dot(augmented_inputs, augmented_weights) / weight_length
    smallest_margin = np.min(signed_distances)
    if smallest_margin <= 0:
        message = "the given hyperplane does not separate the two classes"
        raise ValueError(message)
    largest_norm = np.max(np.linalg.norm(augmented_inputs, axis=1))
    ratio = largest_norm / smallest_margin
    return float(ratio * ratio)


def rbf_kernel(A, B, gamma):
    squared_norms_a = np.sum(np.square(A), axis=1)
    squared_norms_b = np.sum(np.square(B), axis=1)
    inner_products = np.dot(A, B.T)
    squared_distances = squared_norms_a.reshape(-1, 1) - 2 * inner_products + squared_norms_b
    squared_distances = np.maximum(squared_distances, 0)
    kernel_matrix = np.exp(-gamma * squared_distances)
    return kernel_matrix


def polynomial_kernel(A, B, degree, c=1.0):
    inner_products = np.dot(A, B.T)
    kernel_matrix = (inner_products + c) ** degree
    return kernel_matrix


def kernel_perceptron_train(X, y, kernel, max_epochs=100):
    number_of_examples = X.shape[0]
    kernel_matrix = kernel(X, X)
    mistake_counts = np.zeros(number_of_examples, dtype=int)
    for current_epoch in range(max_epochs):
        any_mistake = False
        for example_index in range(number_of_examples):
            weighted_labels = mistake_counts * y
            decision_value = np.dot(weighted_labels, kernel_matrix[:, example_index])
            if y[example_index] * decision_value <= 0:
                mistake_counts[example_index] = mistake_counts[example_index] + 1
                any_mistake = True
        if not any_mistake:
            break
    return mistake_counts


def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
    kernel_matrix = kernel(X, X_train)
    weighted_labels = alpha * y_train
    decision_values = np.dot(kernel_matrix, weighted_labels)
    predictions = np.sign(decision_values)
    predictions[predictions == 0] = 1
    return predictions.astype(int)


def perceptron_criterion(X, y, w, b):
    functional_margins = y * (np.dot(X, w) + b)
    is_counted = functional_margins <= 0
    loss_value = np.sum(-functional_margins[is_counted])
    gradient_w = -np.dot(y[is_counted], X[is_counted]).astype(float)
    gradient_b = -np.sum(y[is_counted])
    return float(loss_value), gradient_w, float(gradient_b)
