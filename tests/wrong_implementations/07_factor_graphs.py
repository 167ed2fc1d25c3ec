"""Wrong implementations for notebook 07 (factor graphs); see __init__.py for how they are used."""

from fractions import Fraction

import numpy as np

from wrong_implementations import breaks

# Names defined by the notebook (Factor, joint, belief_propagation, ...) are available when these
# run inside the notebook's kernel; ruff cannot see them.
# ruff: noqa: F821

# --- factor_product -----------------------------------------------------------------------------


@breaks("factor_product", cell="test_factor_product")
def product_misaligned_axes(f, g):
    """Places g's axes by position instead of by name: wrong when shared variables come in another order."""
    variables = f.variables + tuple(v for v in g.variables if v not in f.variables)
    f_shape = list(f.table.shape) + [1] * (len(variables) - len(f.variables))
    g_shape = [1] * len(variables)
    for position, k in zip(sorted(variables.index(v) for v in g.variables), g.table.shape):
        g_shape[position] = k
    return Factor(variables, f.table.reshape(f_shape) * g.table.reshape(g_shape))


@breaks("factor_product", cell="test_factor_product")
def product_outer_repeats_shared(f, g):
    """Takes the outer product: shared variables appear twice instead of being matched."""
    return Factor(f.variables + g.variables, np.multiply.outer(f.table, g.table))


@breaks("factor_product", cell="test_factor_product")
def product_g_variables_first(f, g):
    """Right values but g's variables first: breaks the documented variable order."""
    variables = g.variables + tuple(v for v in f.variables if v not in g.variables)
    letters = {v: chr(97 + i) for i, v in enumerate(variables)}
    spec = "".join(letters[v] for v in f.variables) + "," + "".join(letters[v] for v in g.variables)
    return Factor(variables, np.einsum(spec + "->" + "".join(letters[v] for v in variables), f.table, g.table))


@breaks("factor_product", cell="test_factor_product")
def product_in_place(f, g):
    """Multiplies into f's table in place when g's variables are all in f: the caller's factor changes."""
    variables = f.variables + tuple(v for v in g.variables if v not in f.variables)
    letters = {v: chr(97 + i) for i, v in enumerate(variables)}
    spec = "".join(letters[v] for v in f.variables) + "," + "".join(letters[v] for v in g.variables)
    out = np.einsum(spec + "->" + "".join(letters[v] for v in variables), f.table, g.table)
    if len(variables) == len(f.variables):
        f.table[...] = out  # reuses f's memory for the result
        return Factor(variables, f.table)
    return Factor(variables, out)


@breaks("factor_product", cell="test_factor_product")
def product_adds(f, g):
    """Adds the tables (log-space habit) instead of multiplying them."""
    variables = f.variables + tuple(v for v in g.variables if v not in f.variables)
    letters = {v: chr(97 + i) for i, v in enumerate(variables)}
    out = "".join(letters[v] for v in variables)
    ones_f = np.ones([f.table.shape[f.variables.index(v)] if v in f.variables else g.table.shape[g.variables.index(v)] for v in variables])
    a = np.einsum("".join(letters[v] for v in f.variables) + "," + out + "->" + out, f.table, ones_f)
    b = np.einsum("".join(letters[v] for v in g.variables) + "," + out + "->" + out, g.table, ones_f)
    return Factor(variables, a + b)


# --- factor_marginalize / factor_reduce / factor_maximize --------------------------------------


@breaks("factor_marginalize", cell="test_factor_operations")
def marginalize_first_axis(f, var):
    """Always sums over the first axis, whichever variable is named."""
    axis = f.variables.index(var)
    return Factor(f.variables[:axis] + f.variables[axis + 1:], f.table.sum(axis=0))


@breaks("factor_marginalize", cell="test_factor_operations")
def marginalize_mean(f, var):
    """Averages over the variable instead of summing."""
    axis = f.variables.index(var)
    return Factor(f.variables[:axis] + f.variables[axis + 1:], f.table.mean(axis=axis))


@breaks("factor_reduce", cell="test_factor_operations")
def reduce_keeps_variable(f, var, value):
    """Keeps the observed variable as an axis of length 1."""
    axis = f.variables.index(var)
    return Factor(f.variables, np.take(f.table, [value], axis=axis))


@breaks("factor_reduce", cell="test_factor_operations")
def reduce_first_axis(f, var, value):
    """Slices the first axis instead of the named variable's axis."""
    axis = f.variables.index(var)
    return Factor(f.variables[:axis] + f.variables[axis + 1:], f.table[value])


@breaks("factor_maximize", cell="test_factor_operations")
def maximize_returns_argmax(f, var):
    """Returns the maximising states (argmax) instead of the maximum values."""
    axis = f.variables.index(var)
    return Factor(f.variables[:axis] + f.variables[axis + 1:], f.table.argmax(axis=axis))


@breaks("factor_maximize", cell="test_factor_operations")
def maximize_missing_variable_silent(f, var):
    """Returns the factor unchanged when the variable is absent instead of raising ValueError."""
    if var not in f.variables:
        return f
    axis = f.variables.index(var)
    return Factor(f.variables[:axis] + f.variables[axis + 1:], f.table.max(axis=axis))


# --- joint / partition_function / brute_force_marginals / brute_force_map ----------------------


@breaks("joint", cell="test_brute_force")
def joint_reversed(factors):
    """Multiplies from the last factor to the first: variables not in order of first appearance."""
    result = Factor((), 1.0)
    for f in reversed(factors):
        result = factor_product(result, f)
    return result


@breaks("joint", cell="test_brute_force")
def joint_skips_constants(factors):
    """Skips factors without variables, so evidence constants are lost."""
    result = Factor((), 1.0)
    for f in factors:
        if f.variables:
            result = factor_product(result, f)
    return result


@breaks("partition_function", cell="test_brute_force")
def partition_of_normalised_joint(factors):
    """Normalises the joint first (too early), so Z is always 1."""
    table = joint(factors).table
    return float((table / table.sum()).sum())


@breaks("partition_function", cell="test_brute_force")
def partition_max(factors):
    """Takes the largest entry of the joint instead of the sum."""
    return float(joint(factors).table.max())


@breaks("brute_force_marginals", cell="test_brute_force")
def marginals_unnormalised(factors):
    """Sums the joint over the other variables but never divides by Z."""
    table = joint(factors)
    return {v: table.table.sum(axis=tuple(a for a in range(table.table.ndim) if a != i)) for i, v in enumerate(table.variables)}


@breaks("brute_force_marginals", cell="test_brute_force")
def marginals_by_max(factors):
    """Max-marginals (normalised) instead of sums over the other variables."""
    table = joint(factors)
    out = {}
    for i, v in enumerate(table.variables):
        m = table.table.max(axis=tuple(a for a in range(table.table.ndim) if a != i))
        out[v] = m / m.sum()
    return out


@breaks("brute_force_map", cell="test_brute_force")
def map_fortran_unravel(factors):
    """Unravels the flat argmax in Fortran order: states read from the wrong axes."""
    table = joint(factors)
    best = np.unravel_index(np.argmax(table.table), table.table.shape, order="F")
    return {v: int(s) for v, s in zip(table.variables, best)}


@breaks("brute_force_map", cell="test_brute_force")
def map_from_marginals(factors):
    """Takes each variable's most probable state (marginal argmax), not the best joint assignment."""
    return {v: int(np.argmax(p)) for v, p in brute_force_marginals(factors).items()}


# --- qr_exercise --------------------------------------------------------------------------------


@breaks("qr_exercise", cell="test_qr_exercise")
def qr_floats(psi_Q, psi_QR):
    """Right numbers, but floats instead of exact Fractions."""
    s = [[float(psi_Q[q]) * float(v) for v in psi_QR[q]] for q in range(len(psi_Q))]
    Z = sum(sum(row) for row in s)
    m = [sum(row[r] for row in s) for r in range(len(s[0]))]
    return {"s": s, "Z": Z, "p": [[v / Z for v in row] for row in s], "p_Q": [sum(row) / Z for row in s],
            "p_R": [v / Z for v in m], "m_R": m}


@breaks("qr_exercise", cell="test_qr_exercise")
def qr_forgets_psi_Q(psi_Q, psi_QR):
    """Uses psi_QR alone as s(q, r): the unary factor psi_Q is never multiplied in."""
    s = [[Fraction(v) for v in row] for row in psi_QR]
    Z = sum(sum(row) for row in s)
    m = [sum(row[r] for row in s) for r in range(len(s[0]))]
    return {"s": s, "Z": Z, "p": [[v / Z for v in row] for row in s], "p_Q": [sum(row) / Z for row in s],
            "p_R": [v / Z for v in m], "m_R": m}


@breaks("qr_exercise", cell="test_qr_exercise")
def qr_message_normalised(psi_Q, psi_QR):
    """Normalises the message m(r) (too early): returns p(r) in its place."""
    s = [[Fraction(psi_Q[q]) * Fraction(v) for v in psi_QR[q]] for q in range(len(psi_Q))]
    Z = sum(sum(row) for row in s)
    p_R = [sum(row[r] for row in s) / Z for r in range(len(s[0]))]
    return {"s": s, "Z": Z, "p": [[v / Z for v in row] for row in s], "p_Q": [sum(row) / Z for row in s],
            "p_R": p_R, "m_R": p_R}


@breaks("qr_exercise", cell="test_qr_exercise")
def qr_p_R_unnormalised(psi_Q, psi_QR):
    """Returns the message m(r) as the marginal p(r) (forgets to divide by Z)."""
    s = [[Fraction(psi_Q[q]) * Fraction(v) for v in psi_QR[q]] for q in range(len(psi_Q))]
    Z = sum(sum(row) for row in s)
    m = [sum(row[r] for row in s) for r in range(len(s[0]))]
    return {"s": s, "Z": Z, "p": [[v / Z for v in row] for row in s], "p_Q": [sum(row) / Z for row in s],
            "p_R": m, "m_R": m}


@breaks("qr_exercise", cell="test_qr_exercise")
def qr_p_Q_from_unary(psi_Q, psi_QR):
    """Takes p(q) proportional to psi_Q alone, ignoring what psi_QR says about Q."""
    s = [[Fraction(psi_Q[q]) * Fraction(v) for v in psi_QR[q]] for q in range(len(psi_Q))]
    Z = sum(sum(row) for row in s)
    m = [sum(row[r] for row in s) for r in range(len(s[0]))]
    total = sum(Fraction(v) for v in psi_Q)
    return {"s": s, "Z": Z, "p": [[v / Z for v in row] for row in s], "p_Q": [Fraction(v) / total for v in psi_Q],
            "p_R": [v / Z for v in m], "m_R": m}


# --- variable_elimination -----------------------------------------------------------------------


@breaks("variable_elimination", cell="test_variable_elimination")
def ve_drops_other_factors(factors, query, order):
    """After each step keeps only the new factor: factors that did not mention the variable are lost."""
    remaining = list(factors)
    for var in order:
        touching = [f for f in remaining if var in f.variables]
        if touching:
            remaining = [factor_marginalize(joint(touching), var)]
    result = joint(remaining)
    table = np.transpose(result.table, [result.variables.index(v) for v in query])
    return Factor(tuple(query), table / table.sum())


@breaks("variable_elimination", cell="test_variable_elimination")
def ve_keeps_used_factors(factors, query, order):
    """Adds the new factor but forgets to remove the factors it was made from."""
    remaining = list(factors)
    for var in order:
        touching = [f for f in remaining if var in f.variables]
        if touching:
            remaining.append(factor_marginalize(joint(touching), var))
    result = joint(remaining)
    for var in result.variables:
        if var not in query:
            result = factor_marginalize(result, var)
    table = np.transpose(result.table, [result.variables.index(v) for v in query])
    return Factor(tuple(query), table / table.sum())


@breaks("variable_elimination", cell="test_variable_elimination")
def ve_not_normalised(factors, query, order):
    """Returns the unnormalised factor left at the end."""
    remaining = list(factors)
    for var in order:
        touching = [f for f in remaining if var in f.variables]
        if touching:
            remaining = [f for f in remaining if var not in f.variables] + [factor_marginalize(joint(touching), var)]
    result = joint(remaining)
    return Factor(tuple(query), np.transpose(result.table, [result.variables.index(v) for v in query]))


@breaks("variable_elimination", cell="test_variable_elimination")
def ve_maximizes(factors, query, order):
    """Eliminates with max instead of sum (max-marginals)."""
    remaining = list(factors)
    for var in order:
        touching = [f for f in remaining if var in f.variables]
        if touching:
            remaining = [f for f in remaining if var not in f.variables] + [factor_maximize(joint(touching), var)]
    result = joint(remaining)
    table = np.transpose(result.table, [result.variables.index(v) for v in query])
    return Factor(tuple(query), table / table.sum())


@breaks("variable_elimination", cell="test_variable_elimination")
def ve_ignores_query_order(factors, query, order):
    """Returns the variables in whatever order they come out, not the query's order."""
    remaining = list(factors)
    for var in order:
        touching = [f for f in remaining if var in f.variables]
        if touching:
            remaining = [f for f in remaining if var not in f.variables] + [factor_marginalize(joint(touching), var)]
    result = joint(remaining)
    return Factor(result.variables, result.table / result.table.sum())


# --- belief_propagation -------------------------------------------------------------------------
# Each is the flooding schedule with one mistake.


@breaks("belief_propagation", cell="test_belief_propagation")
def bp_message_multiplied_by_itself(factors, max_iters=100, tol=1e-10):
    """Variable-to-factor messages include the target factor's own message (it is multiplied by itself)."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    edges = [(i, v) for i, f in enumerate(factors) for v in f.variables]
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    to_var = {(i, v): np.full(card[v], 1.0 / card[v]) for i, v in edges}
    for _ in range(max_iters):
        to_fac = {}
        for i, v in edges:
            m = np.ones(card[v])
            for j in nbrs[v]:
                m = m * to_var[(j, v)]
            to_fac[(i, v)] = m / m.sum()
        new, change = {}, 0.0
        for i, v in edges:
            f, t = factors[i], factors[i].table
            for axis, u in enumerate(f.variables):
                if u != v:
                    shape = [1] * t.ndim
                    shape[axis] = card[u]
                    t = t * to_fac[(i, u)].reshape(shape)
            keep = f.variables.index(v)
            m = t.sum(axis=tuple(a for a in range(t.ndim) if a != keep))
            m = m / m.sum()
            change = max(change, float(np.abs(m - to_var[(i, v)]).max()))
            new[(i, v)] = m
        to_var = new
        if change <= tol:
            break
    out = {}
    for v in card:
        b = np.prod([to_var[(i, v)] for i in nbrs[v]], axis=0)
        out[v] = b / b.sum()
    return out


@breaks("belief_propagation", cell="test_belief_propagation")
def bp_target_not_excluded(factors, max_iters=100, tol=1e-10):
    """Factor-to-variable messages also multiply in the message from the target variable."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    edges = [(i, v) for i, f in enumerate(factors) for v in f.variables]
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    to_var = {(i, v): np.full(card[v], 1.0 / card[v]) for i, v in edges}
    for _ in range(max_iters):
        to_fac = {}
        for i, v in edges:
            m = np.ones(card[v])
            for j in nbrs[v]:
                if j != i:
                    m = m * to_var[(j, v)]
            to_fac[(i, v)] = m / m.sum()
        new, change = {}, 0.0
        for i, v in edges:
            f, t = factors[i], factors[i].table
            for axis, u in enumerate(f.variables):
                shape = [1] * t.ndim
                shape[axis] = card[u]
                t = t * to_fac[(i, u)].reshape(shape)
            keep = f.variables.index(v)
            m = t.sum(axis=tuple(a for a in range(t.ndim) if a != keep))
            m = m / m.sum()
            change = max(change, float(np.abs(m - to_var[(i, v)]).max()))
            new[(i, v)] = m
        to_var = new
        if change <= tol:
            break
    out = {}
    for v in card:
        b = np.prod([to_var[(i, v)] for i in nbrs[v]], axis=0)
        out[v] = b / b.sum()
    return out


@breaks("belief_propagation", cell="test_belief_propagation")
def bp_one_iteration(factors, max_iters=100, tol=1e-10):
    """Stops after the first iteration (the convergence test compares the new messages with themselves)."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    edges = [(i, v) for i, f in enumerate(factors) for v in f.variables]
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    to_var = {(i, v): np.full(card[v], 1.0 / card[v]) for i, v in edges}
    for _ in range(max_iters):
        to_fac = {}
        for i, v in edges:
            m = np.ones(card[v])
            for j in nbrs[v]:
                if j != i:
                    m = m * to_var[(j, v)]
            to_fac[(i, v)] = m / m.sum()
        for i, v in edges:
            f, t = factors[i], factors[i].table
            for axis, u in enumerate(f.variables):
                if u != v:
                    shape = [1] * t.ndim
                    shape[axis] = card[u]
                    t = t * to_fac[(i, u)].reshape(shape)
            keep = f.variables.index(v)
            m = t.sum(axis=tuple(a for a in range(t.ndim) if a != keep))
            to_var[(i, v)] = m / m.sum()
        change = max(float(np.abs(to_var[e] - to_var[e]).max()) for e in edges)
        if change <= tol:
            break
    out = {}
    for v in card:
        b = np.prod([to_var[(i, v)] for i in nbrs[v]], axis=0)
        out[v] = b / b.sum()
    return out


@breaks("belief_propagation", cell="test_belief_propagation")
def bp_unary_factors_ignored(factors, max_iters=100, tol=1e-10):
    """Treats only factors over two or more variables as graph nodes: unary factors never send messages."""
    factors = [f for f in factors if len(f.variables) > 1]
    card = cardinalities(factors)
    edges = [(i, v) for i, f in enumerate(factors) for v in f.variables]
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    to_var = {(i, v): np.full(card[v], 1.0 / card[v]) for i, v in edges}
    for _ in range(max_iters):
        to_fac = {}
        for i, v in edges:
            m = np.ones(card[v])
            for j in nbrs[v]:
                if j != i:
                    m = m * to_var[(j, v)]
            to_fac[(i, v)] = m / m.sum()
        new, change = {}, 0.0
        for i, v in edges:
            f, t = factors[i], factors[i].table
            for axis, u in enumerate(f.variables):
                if u != v:
                    shape = [1] * t.ndim
                    shape[axis] = card[u]
                    t = t * to_fac[(i, u)].reshape(shape)
            keep = f.variables.index(v)
            m = t.sum(axis=tuple(a for a in range(t.ndim) if a != keep))
            m = m / m.sum()
            change = max(change, float(np.abs(m - to_var[(i, v)]).max()))
            new[(i, v)] = m
        to_var = new
        if change <= tol:
            break
    out = {}
    for v in card:
        b = np.prod([to_var[(i, v)] for i in nbrs[v]], axis=0)
        out[v] = b / b.sum()
    return out


@breaks("belief_propagation", cell="test_belief_propagation")
def bp_max_instead_of_sum(factors, max_iters=100, tol=1e-10):
    """Factor-to-variable messages maximise instead of summing (normalised max-marginals)."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    edges = [(i, v) for i, f in enumerate(factors) for v in f.variables]
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    to_var = {(i, v): np.full(card[v], 1.0 / card[v]) for i, v in edges}
    for _ in range(max_iters):
        to_fac = {}
        for i, v in edges:
            m = np.ones(card[v])
            for j in nbrs[v]:
                if j != i:
                    m = m * to_var[(j, v)]
            to_fac[(i, v)] = m / m.sum()
        new, change = {}, 0.0
        for i, v in edges:
            f, t = factors[i], factors[i].table
            for axis, u in enumerate(f.variables):
                if u != v:
                    shape = [1] * t.ndim
                    shape[axis] = card[u]
                    t = t * to_fac[(i, u)].reshape(shape)
            keep = f.variables.index(v)
            m = t.max(axis=tuple(a for a in range(t.ndim) if a != keep))
            m = m / m.sum()
            change = max(change, float(np.abs(m - to_var[(i, v)]).max()))
            new[(i, v)] = m
        to_var = new
        if change <= tol:
            break
    out = {}
    for v in card:
        b = np.prod([to_var[(i, v)] for i in nbrs[v]], axis=0)
        out[v] = b / b.sum()
    return out


@breaks("belief_propagation", cell="test_belief_propagation")
def bp_messages_not_normalised(factors, max_iters=100, tol=1e-10):
    """Never normalises the messages, only the beliefs: overflows when the tables are large."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    edges = [(i, v) for i, f in enumerate(factors) for v in f.variables]
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    to_var = {(i, v): np.ones(card[v]) for i, v in edges}
    for _ in range(max_iters):
        to_fac = {}
        for i, v in edges:
            m = np.ones(card[v])
            for j in nbrs[v]:
                if j != i:
                    m = m * to_var[(j, v)]
            to_fac[(i, v)] = m
        new, change = {}, 0.0
        for i, v in edges:
            f, t = factors[i], factors[i].table
            for axis, u in enumerate(f.variables):
                if u != v:
                    shape = [1] * t.ndim
                    shape[axis] = card[u]
                    t = t * to_fac[(i, u)].reshape(shape)
            keep = f.variables.index(v)
            m = t.sum(axis=tuple(a for a in range(t.ndim) if a != keep))
            change = max(change, float(np.abs(m - to_var[(i, v)]).max() / max(np.abs(m).max(), 1e-300)))
            new[(i, v)] = m
        to_var = new
        if change <= tol:
            break
    out = {}
    for v in card:
        b = np.prod([to_var[(i, v)] for i in nbrs[v]], axis=0)
        out[v] = b / b.sum()
    return out


# --- max_product --------------------------------------------------------------------------------


@breaks("max_product", cell="test_max_product")
def mp_no_backtracking(factors):
    """Takes each variable's best state from its own max-marginal: with ties it can mix two optima."""
    table = joint([f for f in factors if f.variables])
    out = {}
    with np.errstate(all="ignore"):
        for i, v in enumerate(table.variables):
            out[v] = int(np.argmax(table.table.max(axis=tuple(a for a in range(table.table.ndim) if a != i))))
    return out


@breaks("max_product", cell="test_max_product")
def mp_from_sum_product(factors):
    """Takes the argmax of each sum-product marginal (the most probable state of each variable alone)."""
    return {v: int(np.argmax(p)) for v, p in belief_propagation(factors).items()}


@breaks("max_product", cell="test_max_product")
def mp_backtrack_ignores_messages(factors):
    """Backtracking picks the children that maximise the factor alone, ignoring the messages from below."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    with np.errstate(divide="ignore"):
        logs = [np.log(f.table) for f in factors]
    assignment, used = {}, set()
    for root in card:
        if root in assignment:
            continue
        steps, seen, stack = [], {root}, [root]
        while stack:
            v = stack.pop()
            for i in nbrs[v]:
                if i in used:
                    continue
                used.add(i)
                children = [u for u in factors[i].variables if u != v]
                seen.update(children)
                stack.extend(children)
                steps.append((i, v, children))
        incoming = {u: np.zeros(card[u]) for u in seen}
        best = {}
        for i, v, _children in reversed(steps):
            f, score = factors[i], logs[i]
            for axis, u in enumerate(f.variables):
                if u != v:
                    shape = [1] * score.ndim
                    shape[axis] = card[u]
                    score = score + incoming[u].reshape(shape)
            score = np.moveaxis(score, f.variables.index(v), 0).reshape(card[v], -1)
            best[i] = np.argmax(np.moveaxis(logs[i], f.variables.index(v), 0).reshape(card[v], -1), axis=1)
            incoming[v] = incoming[v] + score.max(axis=1)
        assignment[root] = int(np.argmax(incoming[root]))
        for i, v, children in steps:
            states = np.unravel_index(best[i][assignment[v]], [card[u] for u in children])
            for u, s in zip(children, states):
                assignment[u] = int(s)
    return assignment


@breaks("max_product", cell="test_max_product")
def mp_probability_space(factors):
    """Right algorithm in probability space without rescaling: products overflow to inf."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    nbrs = {v: [i for i, f in enumerate(factors) if v in f.variables] for v in card}
    assignment, used = {}, set()
    for root in card:
        if root in assignment:
            continue
        steps, seen, stack = [], {root}, [root]
        while stack:
            v = stack.pop()
            for i in nbrs[v]:
                if i in used:
                    continue
                used.add(i)
                children = [u for u in factors[i].variables if u != v]
                seen.update(children)
                stack.extend(children)
                steps.append((i, v, children))
        incoming = {u: np.ones(card[u]) for u in seen}
        best = {}
        for i, v, _children in reversed(steps):
            f, score = factors[i], factors[i].table
            for axis, u in enumerate(f.variables):
                if u != v:
                    shape = [1] * score.ndim
                    shape[axis] = card[u]
                    score = score * incoming[u].reshape(shape)
            score = np.moveaxis(score, f.variables.index(v), 0).reshape(card[v], -1)
            best[i] = np.argmax(score, axis=1)
            incoming[v] = incoming[v] * score.max(axis=1)
        assignment[root] = int(np.argmax(incoming[root]))
        for i, v, children in steps:
            states = np.unravel_index(best[i][assignment[v]], [card[u] for u in children])
            for u, s in zip(children, states):
                assignment[u] = int(s)
    return assignment


@breaks("max_product", cell="test_max_product")
def mp_ignores_cycles(factors):
    """Right on every tree (here by brute force), but on a cycle returns an assignment instead of raising ValueError."""
    return brute_force_map([f for f in factors if f.variables])


# --- gibbs_marginals ----------------------------------------------------------------------------


@breaks("gibbs_marginals", cell="test_gibbs_marginals")
def gibbs_argmax(factors, n_samples, burn_in, rng):
    """Sets each variable to its most likely state given the others (iterated conditional modes), never samples."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    state = {v: int(rng.integers(k)) for v, k in card.items()}
    counts = {v: np.zeros(k) for v, k in card.items()}
    for sweep in range(burn_in + n_samples):
        for v in card:
            w = np.ones(card[v])
            for f in factors:
                if v in f.variables:
                    w = w * f.table[tuple(slice(None) if u == v else state[u] for u in f.variables)]
            state[v] = int(np.argmax(w))
        if sweep >= burn_in:
            for v in card:
                counts[v][state[v]] += 1
    return {v: c / n_samples for v, c in counts.items()}


@breaks("gibbs_marginals", cell="test_gibbs_marginals")
def gibbs_unary_only(factors, n_samples, burn_in, rng):
    """Samples each variable from its single-variable factors only, ignoring its neighbours."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    state = {v: int(rng.integers(k)) for v, k in card.items()}
    counts = {v: np.zeros(k) for v, k in card.items()}
    for sweep in range(burn_in + n_samples):
        for v in card:
            w = np.ones(card[v])
            for f in factors:
                if f.variables == (v,):
                    w = w * f.table
            state[v] = int(rng.choice(card[v], p=w / w.sum()))
        if sweep >= burn_in:
            for v in card:
                counts[v][state[v]] += 1
    return {v: c / n_samples for v, c in counts.items()}


@breaks("gibbs_marginals", cell="test_gibbs_marginals")
def gibbs_counts(factors, n_samples, burn_in, rng):
    """Returns the raw counts instead of dividing them by n_samples."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    state = {v: int(rng.integers(k)) for v, k in card.items()}
    counts = {v: np.zeros(k) for v, k in card.items()}
    for sweep in range(burn_in + n_samples):
        for v in card:
            w = np.ones(card[v])
            for f in factors:
                if v in f.variables:
                    w = w * f.table[tuple(slice(None) if u == v else state[u] for u in f.variables)]
            state[v] = int(rng.choice(card[v], p=w / w.sum()))
        if sweep >= burn_in:
            for v in card:
                counts[v][state[v]] += 1
    return counts


@breaks("gibbs_marginals", cell="test_gibbs_marginals")
def gibbs_global_random_state(factors, n_samples, burn_in, rng):
    """Draws from NumPy's global random state instead of rng: not reproducible from the seed."""
    factors = [f for f in factors if f.variables]
    card = cardinalities(factors)
    state = {v: int(np.random.randint(k)) for v, k in card.items()}
    counts = {v: np.zeros(k) for v, k in card.items()}
    for sweep in range(burn_in + n_samples):
        for v in card:
            w = np.ones(card[v])
            for f in factors:
                if v in f.variables:
                    w = w * f.table[tuple(slice(None) if u == v else state[u] for u in f.variables)]
            state[v] = int(np.random.choice(card[v], p=w / w.sum()))
        if sweep >= burn_in:
            for v in card:
                counts[v][state[v]] += 1
    return {v: c / n_samples for v, c in counts.items()}


# --- chain_forward_backward ---------------------------------------------------------------------


@breaks("chain_forward_backward", cell="test_chain_forward_backward")
def fb_normalises_too_early(log_unary, log_pairwise):
    """Normalises each forward vector but drops the normalising constants from log Z."""
    T, K = log_unary.shape
    la, lb = np.empty((T, K)), np.zeros((T, K))
    la[0] = log_unary[0] - logsumexp(log_unary[0])
    for t in range(1, T):
        la[t] = log_unary[t] + logsumexp(la[t - 1][:, None] + log_pairwise, axis=0)
        la[t] = la[t] - logsumexp(la[t])
    for t in range(T - 2, -1, -1):
        lb[t] = logsumexp(log_pairwise + (log_unary[t + 1] + lb[t + 1])[None, :], axis=1)
    post = la + lb
    post = np.exp(post - logsumexp(post, axis=1)[:, None])
    return float(logsumexp(la[-1])), post


@breaks("chain_forward_backward", cell="test_chain_forward_backward")
def fb_probability_space(log_unary, log_pairwise):
    """Exponentiates first and runs forward-backward on probabilities: overflows for scores of 1e3."""
    psi, A = np.exp(log_unary), np.exp(log_pairwise)
    T, K = psi.shape
    alpha, beta = np.empty((T, K)), np.ones((T, K))
    alpha[0] = psi[0]
    for t in range(1, T):
        alpha[t] = psi[t] * (alpha[t - 1] @ A)
    for t in range(T - 2, -1, -1):
        beta[t] = A @ (psi[t + 1] * beta[t + 1])
    Z = alpha[-1].sum()
    return float(np.log(Z)), alpha * beta / Z


@breaks("chain_forward_backward", cell="test_chain_forward_backward")
def fb_pairwise_transposed(log_unary, log_pairwise):
    """Reads log_pairwise as [next, previous]."""
    A = log_pairwise.T
    T, K = log_unary.shape
    la, lb = np.empty((T, K)), np.zeros((T, K))
    la[0] = log_unary[0]
    for t in range(1, T):
        la[t] = log_unary[t] + logsumexp(la[t - 1][:, None] + A, axis=0)
    for t in range(T - 2, -1, -1):
        lb[t] = logsumexp(A + (log_unary[t + 1] + lb[t + 1])[None, :], axis=1)
    log_Z = logsumexp(la[-1])
    return float(log_Z), np.exp(la + lb - log_Z)


@breaks("chain_forward_backward", cell="test_chain_forward_backward")
def fb_forward_only(log_unary, log_pairwise):
    """Right log Z, but the marginals are the normalised forward messages (no backward pass)."""
    T, K = log_unary.shape
    la = np.empty((T, K))
    la[0] = log_unary[0]
    for t in range(1, T):
        la[t] = log_unary[t] + logsumexp(la[t - 1][:, None] + log_pairwise, axis=0)
    return float(logsumexp(la[-1])), np.exp(la - logsumexp(la, axis=1)[:, None])


@breaks("chain_forward_backward", cell="test_chain_forward_backward")
def fb_unary_counted_twice(log_unary, log_pairwise):
    """The backward message at t includes the unary score at t, which alpha already has."""
    T, K = log_unary.shape
    la, lb = np.empty((T, K)), np.zeros((T, K))
    la[0] = log_unary[0]
    for t in range(1, T):
        la[t] = log_unary[t] + logsumexp(la[t - 1][:, None] + log_pairwise, axis=0)
    lb[-1] = log_unary[-1]
    for t in range(T - 2, -1, -1):
        lb[t] = log_unary[t] + logsumexp(log_pairwise + lb[t + 1][None, :], axis=1)
    log_Z = logsumexp(la[-1])
    post = la + lb
    return float(log_Z), np.exp(post - logsumexp(post, axis=1)[:, None])


# --- viterbi ------------------------------------------------------------------------------------


@breaks("viterbi", cell="test_viterbi")
def viterbi_backpointer_off_by_one(log_unary, log_pairwise):
    """Backtracks with b_{t-1} instead of b_t."""
    T, K = log_unary.shape
    delta, back = log_unary[0].copy(), np.zeros((T, K), dtype=int)
    for t in range(1, T):
        scores = delta[:, None] + log_pairwise
        back[t] = np.argmax(scores, axis=0)
        delta = log_unary[t] + scores.max(axis=0)
    path = np.zeros(T, dtype=int)
    path[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t - 1, path[t]]
    return path, float(delta.max())


@breaks("viterbi", cell="test_viterbi")
def viterbi_greedy(log_unary, log_pairwise):
    """Chooses each state greedily from the previous one (no dynamic programming)."""
    T, K = log_unary.shape
    path = [int(np.argmax(log_unary[0]))]
    score = float(log_unary[0, path[0]])
    for t in range(1, T):
        step = log_pairwise[path[-1]] + log_unary[t]
        path.append(int(np.argmax(step)))
        score += float(step[path[-1]])
    return np.array(path), score


@breaks("viterbi", cell="test_viterbi")
def viterbi_transposed(log_unary, log_pairwise):
    """Reads log_pairwise as [next, previous]."""
    T, K = log_unary.shape
    A = log_pairwise.T
    delta, back = log_unary[0].copy(), np.zeros((T, K), dtype=int)
    for t in range(1, T):
        scores = delta[:, None] + A
        back[t] = np.argmax(scores, axis=0)
        delta = log_unary[t] + scores.max(axis=0)
    path = np.zeros(T, dtype=int)
    path[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path, float(delta.max())


@breaks("viterbi", cell="test_viterbi")
def viterbi_posterior_decoding(log_unary, log_pairwise):
    """Takes the most probable state at each position (argmax of the marginals) and reports its score."""
    _, marginals = chain_forward_backward(log_unary, log_pairwise)
    path = np.argmax(marginals, axis=1)
    score = log_unary[np.arange(len(path)), path].sum() + sum(log_pairwise[path[t - 1], path[t]] for t in range(1, len(path)))
    return path, float(score)


# --- marginals_from_samples ---------------------------------------------------------------------


@breaks("marginals_from_samples", cell="test_marginals_from_samples")
def samples_float_fractions(samples):
    """Divides with floats: 4/6 becomes 0.666..., not an exact Fraction."""
    if not samples or any(len(s) != len(samples[0]) for s in samples):
        raise ValueError("bad samples")
    return [{v: [s[t] for s in samples].count(v) / len(samples) for v in {s[t] for s in samples}} for t in range(len(samples[0]))]


@breaks("marginals_from_samples", cell="test_marginals_from_samples")
def samples_pooled_over_positions(samples):
    """Counts each value over all positions (the overall tag frequency), not per position."""
    if not samples or any(len(s) != len(samples[0]) for s in samples):
        raise ValueError("bad samples")
    everything = [v for s in samples for v in s]
    return [{v: Fraction(everything.count(v), len(everything)) for v in {s[t] for s in samples}} for t in range(len(samples[0]))]


@breaks("marginals_from_samples", cell="test_marginals_from_samples")
def samples_divide_by_distinct_values(samples):
    """Normalises by the number of distinct values at the position instead of the number of samples."""
    if not samples or any(len(s) != len(samples[0]) for s in samples):
        raise ValueError("bad samples")
    out = []
    for t in range(len(samples[0])):
        column = [s[t] for s in samples]
        out.append({v: Fraction(column.count(v), len(set(column))) for v in set(column)})
    return out


@breaks("marginals_from_samples", cell="test_marginals_from_samples")
def samples_zip_truncates(samples):
    """Transposes with zip, which silently drops the tail of longer samples instead of raising."""
    if not samples:
        raise ValueError("no samples")
    return [{v: Fraction(column.count(v), len(samples)) for v in set(column)} for column in zip(*samples)]


@breaks("marginals_from_samples", cell="test_marginals_from_samples")
def samples_every_seen_value(samples):
    """Lists every value seen anywhere at every position, with Fraction(0) where it does not occur."""
    if not samples or any(len(s) != len(samples[0]) for s in samples):
        raise ValueError("bad samples")
    values = {v for s in samples for v in s}
    return [{v: Fraction([s[t] for s in samples].count(v), len(samples)) for v in values} for t in range(len(samples[0]))]


# --- factor_graph / eliminate / bp_message_count ------------------------------------------------


@breaks("factor_graph", cell="test_factor_graph")
def graph_variable_first(scopes):
    """Returns (variable, factor index) pairs instead of (factor index, variable)."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    return {(v, i) for i, s in enumerate(scopes) for v in s}


@breaks("factor_graph", cell="test_factor_graph")
def graph_one_based(scopes):
    """Numbers the factors from 1, like psi_1, psi_2, ... on a slide."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    return {(i, v) for i, s in enumerate(scopes, start=1) for v in s}


@breaks("factor_graph", cell="test_factor_graph")
def graph_skips_unary_factors(scopes):
    """Leaves out single-variable factors, as if they were not part of the graph."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    return {(i, v) for i, s in enumerate(scopes) if len(s) > 1 for v in s}


@breaks("factor_graph", cell="test_factor_graph")
def graph_accepts_repeats(scopes):
    """Does not reject a scope that names a variable twice (the set hides the repeat)."""
    return {(i, v) for i, s in enumerate(scopes) for v in s}


@breaks("factor_graph", cell="test_factor_graph")
def graph_without_constants(scopes):
    """Drops constant factors first, which shifts the indices of the factors after them."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    return {(i, v) for i, s in enumerate([s for s in scopes if s]) for v in s}


@breaks("eliminate", cell="test_eliminate")
def eliminate_new_scope_in_place(scopes, variable):
    """Puts the new scope where the first removed factor was, instead of appending it."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    touching = [s for s in scopes if variable in s]
    if not touching:
        return list(scopes)
    merged = tuple(dict.fromkeys(v for s in touching for v in s if v != variable))
    first = next(i for i, s in enumerate(scopes) if variable in s)
    kept = [s for s in scopes if variable not in s]
    return kept[:first] + [merged] + kept[first:]


@breaks("eliminate", cell="test_eliminate")
def eliminate_sorted_scope(scopes, variable):
    """Sorts the variables of the new scope alphabetically."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    touching = [s for s in scopes if variable in s]
    kept = [s for s in scopes if variable not in s]
    if not touching:
        return kept
    return kept + [tuple(sorted({v for s in touching for v in s if v != variable}))]


@breaks("eliminate", cell="test_eliminate")
def eliminate_keeps_variable(scopes, variable):
    """Multiplies the factors but forgets to sum the variable out: it stays in the new scope."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    touching = [s for s in scopes if variable in s]
    kept = [s for s in scopes if variable not in s]
    if not touching:
        return kept
    return kept + [tuple(dict.fromkeys(v for s in touching for v in s))]


@breaks("eliminate", cell="test_eliminate")
def eliminate_drops_constant(scopes, variable):
    """Appends nothing when the new scope is empty, losing the constant factor."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    touching = [s for s in scopes if variable in s]
    merged = tuple(dict.fromkeys(v for s in touching for v in s if v != variable))
    return [s for s in scopes if variable not in s] + ([merged] if merged else [])


@breaks("eliminate", cell="test_eliminate")
def eliminate_always_appends(scopes, variable):
    """Appends a new (empty) scope even when no factor mentions the variable."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    touching = [s for s in scopes if variable in s]
    return [s for s in scopes if variable not in s] + [tuple(dict.fromkeys(v for s in touching for v in s if v != variable))]


@breaks("eliminate", cell="test_eliminate")
def eliminate_removes_in_place(scopes, variable):
    """Removes the touched scopes from the caller's list itself."""
    for s in scopes:
        if len(set(s)) != len(s):
            raise ValueError("repeated variable")
    touching = [s for s in scopes if variable in s]
    for s in touching:
        scopes.remove(s)
    if not touching:
        return list(scopes)
    return list(scopes) + [tuple(dict.fromkeys(v for s in touching for v in s if v != variable))]


@breaks("bp_message_count", cell="test_bp_message_count")
def messages_one_per_edge(scopes):
    """Counts each edge once instead of once per direction."""
    return len(factor_graph(scopes))


@breaks("bp_message_count", cell="test_bp_message_count")
def messages_tree_formula(scopes):
    """Uses 2 (F + V - 1), the edge count of a tree, which is wrong on graphs with cycles."""
    factor_graph(scopes)
    return 2 * (len(scopes) + len({v for s in scopes for v in s}) - 1)


@breaks("bp_message_count", cell="test_bp_message_count")
def messages_constants_send_too(scopes):
    """Counts a message pair for a constant factor as if it had one edge."""
    factor_graph(scopes)
    return 2 * sum(max(len(s), 1) for s in scopes)


@breaks("bp_message_count", cell="test_bp_message_count")
def messages_distinct_variables(scopes):
    """Counts two messages per variable instead of per edge."""
    factor_graph(scopes)
    return 2 * len({v for s in scopes for v in s})


@breaks("bp_message_count", cell="test_bp_message_count")
def messages_unchecked_scopes(scopes):
    """Sums the scope lengths without checking for a repeated variable."""
    return 2 * sum(len(s) for s in scopes)
