"""Bounded gradient-based optimization with parallel restarts (math.md §6).

Parameters are optimized in the unit box: ``z = (theta - lo) / (hi - lo)``.
That makes one learning rate fit window lengths and hops of any scale and
conditions L-BFGS-B well. Two methods:

* ``"lbfgs"``: scipy's bounded quasi-Newton L-BFGS-B, for few parameters
  and deterministic (full-batch) losses;
* ``"adam"``: Adam with projection onto the box, for many parameters or
  stochastic (mini-batch) losses.

Whatever happens during the run, the result is the best *finite* iterate
seen: a NaN or diverging step never replaces a good one. Gradients come from
autograd, hence from the DSTFT's analytical vector-Jacobian products.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from autograd import value_and_grad
from joblib import Parallel, delayed
from scipy.optimize import minimize as scipy_minimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

from ._kernels import run_serially
from ._validation import check_choice, check_int, check_real

__all__ = ["OptimizeResult", "minimize", "run_restarts", "restart_inits", "rprop", "AdamStep"]

METHODS = ("lbfgs", "adam")


@dataclass
class OptimizeResult:
    """Outcome of one optimization run.

    Attributes
    ----------
    x : ndarray
        Best finite parameters found (same shape as ``x0``, original units).
    loss : float
        Loss at ``x`` (``inf`` when no finite loss was ever seen).
    loss_curve : list of float
        Loss after each iteration (the first entry is the initial loss).
    n_iter : int
        Iterations performed.
    converged : bool
        True when the tolerance was met before ``max_iter``.
    message : str
    seconds : float
        Wall-clock time of the run.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> from skdstft.optimize import minimize
    >>> res = minimize(lambda t: anp.sum((t - 3.0) ** 2), 1.0, (0.0, 10.0))
    >>> res.loss < 1e-12, res.loss_curve[0], res.n_iter >= 1
    (True, 4.0, True)
    """

    x: np.ndarray
    loss: float
    loss_curve: list = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    message: str = ""
    seconds: float = 0.0
    error: object = field(default=None, repr=False)
    best_iter: int = field(default=0, repr=False)
    """Iteration (1-based) whose point is ``x`` (:func:`~skdstft.optimize.rprop`; 0 elsewhere)."""


class _UnitBoxObjective:
    """The objective in unit-box coordinates ``z`` (``theta = lo + span * z``):
    loss and gradient in ``z``, a non-finite evaluation turned into ``inf``, and
    the best finite point seen so far (``best_z``, ``best_loss``)."""

    def __init__(self, fun, lo, span, shape):
        # d/dz = span * d/dtheta, applied by hand: tracing the affine map
        # through autograd would cost three more primitives per evaluation.
        # An objective that computes its own value and gradient is asked for them.
        self._vg = getattr(fun, "value_and_grad", None) or value_and_grad(fun)
        self.lo, self.span, self.shape = lo, span, shape
        self.best_z, self.best_loss = None, np.inf

    def __call__(self, z, *args):
        loss, grad = self._vg(self.params(z), *args)
        loss = float(loss)
        grad = (np.asarray(grad, dtype=float).reshape(self.shape) * self.span).ravel()
        if np.isfinite(loss) and np.all(np.isfinite(grad)):
            if loss < self.best_loss:
                self.best_z, self.best_loss = z.copy(), loss
            return loss, grad
        return np.inf, np.zeros_like(z)

    def params(self, z):
        return self.lo + self.span * np.asarray(z).reshape(self.shape)


def _relative_change(prev, cur):
    return abs(prev - cur) / max(abs(prev), abs(cur), 1e-12)


def minimize(fun, x0, bounds, *, method="lbfgs", max_iter=100, tol=1e-6,
             learning_rate=0.02, n_iter_no_change=5, stochastic=False, verbose=0):
    """Minimize ``fun(theta)`` within box bounds using autograd gradients.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> float`` written with ``autograd.numpy``; with
        ``stochastic=True`` (Adam only) ``fun(theta, iteration)``, e.g. to
        draw a mini-batch deterministically from the iteration number.
    x0 : float or ndarray
        Initial parameters (any shape), clipped into the bounds.
    bounds : (lo, hi)
        Scalars or arrays broadcastable to ``x0`` with ``lo < hi``.
    method : {"lbfgs", "adam"}
    max_iter : int >= 1
    tol : float >= 0
        Adam: stop when consecutive losses change by less than ``tol``
        (relative) for ``n_iter_no_change`` iterations, when the best loss has
        not improved by more than ``tol`` for ``4 * n_iter_no_change``
        iterations (a kink), or when the projected gradient vanishes (every
        parameter stationary or at a bound); the last two not with
        ``stochastic``.
        L-BFGS-B: its ``ftol``.
    learning_rate : float > 0
        Adam step in unit-box coordinates (0.02 moves a length by 2 % of its
        allowed range per step at most).
    verbose : int
        Print progress every ``verbose`` iterations (0: silent).

    Returns
    -------
    OptimizeResult
        A :class:`~sklearn.exceptions.ConvergenceWarning` is raised when
        ``max_iter`` stops the run before the tolerance is met.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> res = minimize(lambda t: anp.sum((t - 3.0) ** 2), 1.0, (0.0, 10.0))
    >>> round(float(res.x), 6), res.converged
    (3.0, True)
    """
    method = check_choice(method, "method", METHODS)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    tol = check_real(tol, "tol", low=0.0)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    x0 = np.asarray(x0, dtype=float)
    lo = np.broadcast_to(np.asarray(bounds[0], dtype=float), x0.shape).copy()
    hi = np.broadcast_to(np.asarray(bounds[1], dtype=float), x0.shape).copy()
    if np.any(~np.isfinite(lo)) or np.any(~np.isfinite(hi)) or np.any(hi <= lo):
        raise ValueError(f"bounds must be finite with lo < hi, got {bounds!r}")
    if not np.all(np.isfinite(x0)):
        raise ValueError("x0 must be finite")
    if stochastic and method != "adam":
        raise ValueError("stochastic losses need method='adam'")
    span = hi - lo
    unit_fun = _UnitBoxObjective(fun, lo, span, x0.shape)
    z0 = np.clip((x0 - lo) / span, 0.0, 1.0).ravel()
    start = time.perf_counter()
    if method == "lbfgs":
        result = _lbfgs(unit_fun, z0, max_iter, tol, verbose)
    else:
        result = _adam(unit_fun, z0, max_iter, tol, learning_rate, n_iter_no_change,
                       stochastic, verbose)
    result.seconds = time.perf_counter() - start
    if not result.converged:
        warnings.warn(
            f"{method} stopped at max_iter={max_iter} while the loss was still decreasing "
            f"(by more than tol={tol:g}, relative, over the last iterations); raise "
            f"max_iter or tol", ConvergenceWarning, stacklevel=2)
    return result


# With every variable boxed, L-BFGS-B's first step is the raw negative
# gradient (step length 1, not normalized). Entropy gradients are tiny (1e-4
# per sample of window length), so that step barely moves, the relative loss
# reduction falls below ``ftol`` and the run "converges" after one iteration
# at the initial point. The loss handed to scipy is therefore scaled so that
# the first step moves the largest coordinate by this fraction of its range;
# the line search extrapolates from there and curvature takes over. Scaling
# changes neither the minimizer nor the relative-reduction test.
_LBFGS_FIRST_STEP = 0.02


def _lbfgs(unit_fun, z0, max_iter, tol, verbose):
    curve = []
    first, g0 = unit_fun(z0)
    curve.append(first)
    g_max = float(np.max(np.abs(g0))) if g0.size else 0.0
    scale = _LBFGS_FIRST_STEP / g_max if np.isfinite(first) and g_max > 0 else 1.0

    pending = [(z0.copy(), first, g0)]  # scipy starts by evaluating z0: reuse it

    def fun(z):
        if pending:
            z_first, loss, grad = pending.pop()
            if np.array_equal(z, z_first):
                return loss * scale, grad * scale
        loss, grad = unit_fun(z)
        return loss * scale, grad * scale

    def callback(intermediate_result):
        curve.append(float(intermediate_result.fun) / scale)
        if verbose and len(curve) % verbose == 0:
            print(f"  iter {len(curve):4d}  loss {curve[-1]:.6g}")

    res = scipy_minimize(fun, z0, jac=True, method="L-BFGS-B",
                         bounds=[(0.0, 1.0)] * z0.size,
                         callback=callback,
                         options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-12,
                                  "maxfun": max(15000, 20 * max_iter)})
    best_z = unit_fun.best_z if unit_fun.best_z is not None else z0
    converged = bool(res.success) or res.nit < max_iter
    return OptimizeResult(x=unit_fun.params(best_z), loss=float(unit_fun.best_loss),
                          loss_curve=curve, n_iter=int(res.nit), converged=converged,
                          message=str(res.message))


def _projected_gradient(z, grad):
    """The gradient's components that can still move ``z`` inside the unit box
    (a coordinate at a bound whose gradient points outward is done)."""
    blocked = ((z <= 0.0) & (grad > 0.0)) | ((z >= 1.0) & (grad < 0.0))
    return np.where(blocked, 0.0, grad)


# The projected gradient counts as vanished below this fraction of the
# initial gradient (the entropies' gradients have no natural scale).
_PGTOL = 1e-8

# Adam stops when the best loss has not improved for this many times
# n_iter_no_change iterations (see _adam).
_PATIENCE = 4


def _adam(unit_fun, z0, max_iter, tol, lr, n_iter_no_change, stochastic, verbose,
          beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam with projection. Converged when either

    * consecutive losses change by less than ``tol`` (relative) for
      ``n_iter_no_change`` iterations; or
    * the best loss has not improved by more than ``tol`` (relative) for
      ``_PATIENCE * n_iter_no_change`` iterations: a run at a kink of the
      loss (the smoothness penalty's ``|d|``) oscillates around its minimum
      without settling, which the first rule never sees; the longer patience
      lets momentum carry a run through an overshoot; or
    * the projected gradient vanished: every parameter is stationary or
      pinned at a bound with the gradient pushing outward.

    With ``stochastic`` (mini-batch) losses only the first rule applies (the
    best of noisy losses means little).
    """
    z = z0.copy()
    adam = AdamStep(z, beta1=beta1, beta2=beta2, eps=eps)
    curve, calm, stalled = [], 0, 0
    converged = False
    message = "max_iter reached"
    best, g_scale = np.inf, None
    for it in range(1, max_iter + 1):
        loss, grad = unit_fun(z, it - 1) if stochastic else unit_fun(z)
        curve.append(loss)
        if not np.isfinite(loss):
            # a bad step: go back to the best point and halve the step
            if unit_fun.best_z is None:
                message = "the loss is not finite at the initial point"
                break
            z, lr = unit_fun.best_z.copy(), lr * 0.5
            adam = AdamStep(z, beta1=beta1, beta2=beta2, eps=eps)  # forget the moments
            continue
        if verbose and it % verbose == 0:
            print(f"  iter {it:4d}  loss {loss:.6g}")
        if g_scale is None:
            g_scale = float(np.max(np.abs(grad), initial=0.0))
        if not stochastic and float(np.max(np.abs(_projected_gradient(z, grad)),
                                           initial=0.0)) <= _PGTOL * g_scale:
            converged = True
            message = ("projected gradient vanished (stationary, or every parameter at a "
                       "bound)")
            break
        if len(curve) > 1 and np.isfinite(curve[-2]) and _relative_change(curve[-2], loss) < tol:
            calm += 1
            if calm >= n_iter_no_change:
                converged, message = True, "relative loss change below tol"
                break
        else:
            calm = 0
        if not stochastic:
            if np.isfinite(best) and loss > best - tol * max(abs(best), 1e-12):
                stalled += 1
                if stalled >= _PATIENCE * n_iter_no_change:
                    converged = True
                    message = (f"the best loss improved by less than tol={tol:g} (relative) "
                               f"over {stalled} iterations (a kink or a flat minimum)")
                    break
            else:
                stalled = 0
            best = min(best, loss)
        z = np.clip(z - adam.step(grad, lr, it), 0.0, 1.0)
    if not stochastic:
        unit_fun(z)  # the last step's point may be the best one
    best_z = unit_fun.best_z if unit_fun.best_z is not None else z
    return OptimizeResult(x=unit_fun.params(best_z), loss=float(unit_fun.best_loss),
                          loss_curve=curve, n_iter=len(curve), converged=converged,
                          message=message)


class AdamStep:
    """Adam's update rule for one parameter array, its moments kept between
    calls: ``delta = step(grad, lr, t)``, to be subtracted from the parameters.

    ``t`` is the 1-based count of updates so far (bias correction); the caller
    owns the count, so that several arrays updated together (a head's weights
    and a window length, each with its own learning rate) share it.

    Examples
    --------
    >>> import numpy as np
    >>> adam = AdamStep(np.zeros(2))
    >>> adam.step(np.array([3.0, -1e-3]), lr=0.1, t=1)  # the first step is lr * sign(grad)
    array([ 0.1     , -0.099999])
    """

    def __init__(self, like, beta1=0.9, beta2=0.999, eps=1e-8):
        self.m = np.zeros_like(like, dtype=float)
        self.v = np.zeros_like(like, dtype=float)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def step(self, grad, lr, t):
        b1, b2 = self.beta1, self.beta2
        self.m = b1 * self.m + (1 - b1) * grad
        self.v = b2 * self.v + (1 - b2) * grad * grad
        return lr * (self.m / (1 - b1**t)) / (np.sqrt(self.v / (1 - b2**t)) + self.eps)


def rprop(fun, x0, bounds, *, step=0.25, max_iter=20, tol=1e-4, n_iter_no_change=5,
          early_stopping=True, min_step=0.01, grow=1.2, shrink=0.5):
    """Minimize by sign-based steps (Rprop), keeping the best point.

    Each parameter moves against the sign of its gradient by its own step,
    which grows by ``grow`` while the sign holds and shrinks by ``shrink``
    when it flips: the gradient's scale does not matter, which suits losses
    whose gradient varies by orders of magnitude (a held-out task loss in a
    window's log-length) and noisy ones (the point with the lowest loss is
    returned). Steps are in the parameters' own units, not in the unit box
    of :func:`minimize`: with sign-based steps no scaling is needed, and a
    log-length moves by the same ratio whatever its bounds.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (loss, gradient)`` with ``gradient`` a function of no
        argument returning ``d loss / d x`` (shape of ``x0``). The gradient is
        asked for only when a step follows, so a run that stops after an
        evaluation never pays for it (nor draws from a random state it uses).
    x0 : float or ndarray
    bounds : (lo, hi)
        Scalars or arrays broadcastable to ``x0``; every step is clipped into them.
    step : float > 0
        Initial step of every parameter (its units).
    max_iter : int
        Evaluations of ``fun`` at most.
    tol : float >= 0
        A loss counts as better than the best so far when it is lower by more
        than ``tol`` (relative to the best).
    n_iter_no_change : int
        With ``early_stopping``: stop after this many evaluations without a
        better loss.
    min_step : float
        Stop when no parameter would move by ``min_step`` or more.

    Returns
    -------
    OptimizeResult
        ``x``: the best point, ``best_iter`` its iteration, ``loss_curve``
        the loss at every evaluation. ``converged`` is False when
        ``max_iter`` or a non-finite gradient stopped the run.

    Examples
    --------
    >>> import numpy as np
    >>> fun = lambda x: (float((x - 1.0) ** 2), lambda: 2 * (x - 1.0))
    >>> res = rprop(fun, 3.0, (-5.0, 5.0), max_iter=50, early_stopping=False)
    >>> abs(float(res.x) - 1.0) < 0.01, res.converged
    (True, True)
    """
    x = np.asarray(x0, dtype=float)
    lo, hi = bounds
    steps = np.full_like(x, step)
    prev_sign = np.zeros_like(x)
    best_x, best_loss, best_iter = np.array(x), np.inf, 0
    curve, calm = [], 0
    converged, message = False, "max_iter reached"
    for it in range(1, max_iter + 1):
        loss, gradient = fun(x)
        curve.append(loss)
        if loss < best_loss - tol * max(abs(best_loss), 1e-12) or it == 1:
            best_x, best_loss, best_iter = np.array(x), loss, it
            calm = 0
        else:
            calm += 1
        if early_stopping and calm >= n_iter_no_change:
            converged, message = True, f"no better loss in {calm} iterations"
            break
        if it == max_iter:
            break
        g = gradient()
        if not np.all(np.isfinite(g)):
            message = "the gradient is not finite"
            break
        sign = np.sign(g)
        steps = np.where(sign * prev_sign > 0, steps * grow,
                         np.where(sign * prev_sign < 0, steps * shrink, steps))
        prev_sign = sign
        x_new = np.clip(x - sign * steps, lo, hi)
        if np.all(np.abs(x_new - x) < min_step):
            converged, message = True, f"every step below min_step={min_step:g}"
            break
        x = x_new
    return OptimizeResult(x=best_x, loss=float(best_loss), loss_curve=curve, n_iter=len(curve),
                          converged=converged, message=message, best_iter=best_iter)


def restart_inits(first, bounds, n_restarts, random_state):
    """Initial values for ``n_restarts`` runs: ``first``, then draws spread
    log-uniformly over ``bounds`` (lengths and hops are scale parameters).

    ``first`` may be an array (each draw is then a constant array of its
    shape). Deterministic given ``random_state``.

    Examples
    --------
    >>> inits = restart_inits(100.0, (8.0, 1022.0), 4, random_state=0)
    >>> len(inits), float(inits[0])
    (4, 100.0)
    >>> all(8.0 <= float(v) <= 1022.0 for v in inits)
    True
    """
    from sklearn.utils import check_random_state

    n_restarts = check_int(n_restarts, "n_restarts", min_value=1)
    rng = check_random_state(random_state)
    first = np.asarray(first, dtype=float)
    lo, hi = float(np.min(bounds[0])), float(np.max(bounds[1]))
    draws = np.exp(rng.uniform(np.log(lo), np.log(hi), size=n_restarts - 1))
    return [first] + [np.full_like(first, d) for d in draws]


_CONTROLLER = None


def single_blas_thread():
    """Context manager pinning BLAS to one thread (bit-identical results
    whichever process or worker runs the work). The library scan behind it
    takes milliseconds, so it is done once per process, not per call."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _run_one(fun, x0, bounds, options):
    """One restart, isolated: BLAS pinned to one thread (bit-identical results
    whichever process runs it), the compiled kernels on one thread too (no
    oversubscription in a worker), and any exception reported, not raised."""
    with single_blas_thread(), run_serially(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            return minimize(fun, x0, bounds, **options)
        except Exception as exc:  # a failed restart must not lose the others
            x0 = np.asarray(x0, dtype=float)
            return OptimizeResult(x=x0, loss=np.inf, message=f"{type(exc).__name__}: {exc}",
                                  error=exc)


def run_restarts(fun, inits, bounds, *, n_jobs=None, verbose=0, **options):
    """Run :func:`minimize` from every initial value, in parallel with joblib.

    ``fun`` must pickle (a module-level function or a picklable object) so
    that joblib workers, or a dask cluster under
    ``joblib.parallel_config(backend="dask")``, can run it.

    Returns
    -------
    best : int
        Index of the lowest final loss (ties: the lowest index).
    results : list of OptimizeResult, in the order of ``inits``.

    Examples
    --------
    Two local minima, near 2 and near 8; the lower one is found by the run
    started at 1:

    >>> import autograd.numpy as anp
    >>> fun = lambda t: anp.sum((t - 2.0) ** 2 * (t - 8.0) ** 2 + t)
    >>> best, results = run_restarts(fun, [1.0, 9.0], (0.0, 10.0))
    >>> best, [round(float(r.x), 1) for r in results]
    (0, [2.0, 8.0])
    """
    if len(inits) == 1:  # nothing to parallelize: spare joblib's dispatch
        results = [_run_one(fun, inits[0], bounds, options)]
    else:
        # One restart per task: restarts last ~0.1-1 s each, which joblib's
        # automatic batching would pair up, leaving one worker idle at the
        # end. The first initial value (the user's: a central length, where
        # the other draws spread log-uniformly to the bounds and their far
        # ends take the most iterations) is dispatched last, so that a short
        # run fills the gap at the end. Results come back in input order.
        order = list(range(1, len(inits))) + [0]
        done = Parallel(n_jobs=n_jobs, verbose=verbose, batch_size=1)(
            delayed(_run_one)(fun, inits[i], bounds, options) for i in order)
        results = [None] * len(inits)
        for i, result in zip(order, done):
            results[i] = result
    losses = np.array([r.loss for r in results], dtype=float)
    if not np.any(np.isfinite(losses)):
        errors = [r.error for r in results]
        if all(isinstance(e, (ValueError, TypeError)) for e in errors):
            # a bad input (e.g. a criterion returning an array) fails every
            # restart alike: the user gets its own error, not a RuntimeError
            raise errors[0]
        messages = "; ".join(r.message for r in results if r.message)
        if all(e is None for e in errors):
            # nothing raised: the loss itself was never finite (a criterion
            # returning NaN or inf from every starting point)
            raise ValueError(f"every restart failed: the loss was never finite (NaN or inf) "
                             f"from any starting point; the criterion must return a finite "
                             f"number (a callable criterion: add an eps inside logs and "
                             f"divisions) ({messages})")
        # chained: the first error's traceback into (e.g.) the user's criterion
        raise RuntimeError(f"every restart failed: {messages}") from next(
            e for e in errors if e is not None)
    best = int(np.argmin(np.where(np.isfinite(losses), losses, np.inf)))
    if not results[best].converged:
        warnings.warn(
            f"the best restart stopped at max_iter before the loss settled "
            f"({results[best].message})", ConvergenceWarning, stacklevel=2)
    return best, results
