"""Newton–Raphson on pipe flows and squared nodal pressures (the global gradient algorithm of Todini & Pilati,
1988, written for gas): one sparse linear solve per iteration, vectorised assembly, backtracking line search.

Unknowns are the flow ``Q`` of every resistive pipe (m³/s at base conditions) and ``π = p²`` (absolute pressure
squared, bar²) of every free node group. Equations:

* per pipe, quadratic form: ``p1² − e^s p2² = φ(Q) (e^s − 1)/s`` with ``s = 2 g Δz ρ_b T_b / (p_b T Z)``, the
  isothermal gas-pipeline equation with elevation (Menon, *Gas Pipeline Hydraulics*, 2005: the "equivalent
  length" L(e^s − 1)/s), exact for a pipe of constant slope; linear form: ``p1 − p2 − c (p1 + p2) Δz = φ(Q)``,
  ``c = ρ_b T_b g / (2 p_b T Z)`` (the column at the mean density, second-order accurate — ample for LP);
* nodes joined by open valves form a group with one unknown, the π at the group's reference elevation; a pipe end
  at another elevation sees ``π · exp(−2 κ Δz)``, κ = ρ_b T_b g / (p_b T Z) (the isothermal gas column);
* per equation row ``Σ outflow − Σ inflow + demand = 0``; a row is a free node group, and the balance of the outlet
  group of an active regulator is added to the row of its inlet (the regulator passes whatever its outlet side
  takes, its outlet pressure being fixed).

Newton's step eliminates δQ = D⁻¹(J δπ − r₁) (D = dφ/dQ, J = ∂F/∂π) and solves the node system
``Cᵀ D⁻¹ J δπ = −r₂ − Cᵀ D⁻¹ r₁`` (C the row incidence). Because π may become negative, an undersized network
converges to a solution with π < 0 — which the caller reports as infeasible instead of returning it. Z and the
gas-column coefficient depend on the mean pressure of each pipe and are differentiated with the rest: the
Jacobian is exact, which the line search needs when pressures collapse in an infeasible case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from threadpoolctl import ThreadpoolController

from console.hydraulics._laws import PipeLaw

__all__ = ["GgaProblem", "GgaSolution", "single_threaded_blas", "solve_gga"]

PI_SCALE = 1e10  # π in bar² (p in bar): keeps the node matrix near unit scale
P_FLOOR_PA = 1000.0  # below this absolute pressure √π is continued linearly (only infeasible iterates go there)


@cache
def _blas() -> ThreadpoolController:
    """The loaded BLAS/OpenMP pools, found once (threadpoolctl scans the loaded libraries)."""
    return ThreadpoolController()


def single_threaded_blas():
    """Context in which BLAS runs on one thread: SuperLU's small dense kernels only pay thread start-up with more
    (on two cores OpenBLAS's default pool made a 10k-junction solve about twice as slow)."""
    return _blas().limit(limits=1, user_api="blas")


@dataclass(eq=False)
class GgaProblem:
    """The contracted network handed to :func:`solve_gga` (indices into free columns / equation rows, −1 = none)."""

    n_free: int
    col_from: np.ndarray  # int, free column of each pipe's from-group or −1 (fixed)
    col_to: np.ndarray
    row_from: np.ndarray  # int, equation row of each pipe's from-group or −1 (dropped: a supply)
    row_to: np.ndarray
    pi_fixed_from: np.ndarray  # π (Pa²) of the from-group where it is fixed
    pi_fixed_to: np.ndarray
    factor_from: np.ndarray  # π at the pipe end = factor · π of its group (gas column inside a merged group)
    factor_to: np.ndarray
    row_demand: np.ndarray  # m³/s per row
    law: PipeLaw
    dz: np.ndarray  # z_to − z_from (m)
    column_coef: float  # ρ_b T_b g / (2 p_b T): the gas-column coefficient is column_coef / Z (1/m)
    z0: float  # Z = z0 + z_slope_per_pa · p̄ (p̄ the mean absolute pressure of a pipe)
    z_slope_per_pa: float

    def take(self, idx: np.ndarray, n_free: int, col_from: np.ndarray, col_to: np.ndarray, row_from: np.ndarray,
             row_to: np.ndarray, row_demand: np.ndarray, pi_fixed_from: np.ndarray, pi_fixed_to: np.ndarray) -> GgaProblem:  # fmt: skip
        """The pipes ``idx`` of this problem with new columns, rows and fixed pressures."""
        return GgaProblem(n_free, col_from, col_to, row_from, row_to, pi_fixed_from, pi_fixed_to, self.factor_from[idx],
                          self.factor_to[idx], row_demand, self.law.take(idx), self.dz[idx], self.column_coef, self.z0,
                          self.z_slope_per_pa)  # fmt: skip


@dataclass
class GgaSolution:
    q: np.ndarray  # m³/s per pipe
    pi_free: np.ndarray  # Pa² per free column
    iterations: int
    converged: bool
    flow_residual: float  # max |row balance| (m³/s)
    pressure_residual: float  # max pipe-law residual as a pressure (Pa)
    history: list[tuple[float, float]] = field(default_factory=list)  # (flow, pressure) residual per iteration


SUPERLU_OPTIONS = {"relax": 1, "panel_size": 1}  # no relaxed supernodes: the node matrix of a gas network is a
# graph Laplacian with about three entries a column and almost no fill, where SuperLU's dense supernode kernels only
# cost (the factorisation of the 1M-pipe city's 400k-column core takes 0.56 s instead of 0.74 s)


class NodeFactor:
    """Sparse LU of Newton's node matrix, keeping the fill-reducing ordering and the pattern between iterations.

    The first factorisation orders the columns with COLAMD; later ones apply that ordering to rows and columns
    alike (the pattern is symmetric and the same every iteration) and factor in natural order with the same
    partial pivoting, the matrix assembled straight into its permuted compressed form. Finding the ordering is
    most of SuperLU's work on these matrices: at the 1M-pipe city a factorisation with the ordering reused takes
    0.11 s against 0.56 s. ``solve(rows, cols, vals, rhs)`` returns x with m x = rhs, m the n × n matrix of the
    triplets (duplicates summed).
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.perm: np.ndarray | None = None  # new position of each row/column
        self._order = np.zeros(0, dtype=np.int64)
        self._slot = np.zeros(0, dtype=np.int64)  # position of each triplet in the permuted matrix's data
        self._indices = self._indptr = np.zeros(0, dtype=np.int64)

    def solve(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        n = self.n
        if not n:
            return np.zeros(0)
        if self.perm is None:
            lu = splu(sp.csc_matrix((vals, (rows, cols)), shape=(n, n)), permc_spec="COLAMD", **SUPERLU_OPTIONS)
            self.perm = lu.perm_c  # new position of row/column i (SuperLU: Pr A Pc = L U, Pc[i, perm_c[i]] = 1)
            self._order = np.argsort(self.perm)  # old index at each new position
            key = self.perm[cols].astype(np.int64) * n + self.perm[rows]
            unique, self._slot = np.unique(key, return_inverse=True)
            self._indices = (unique % n).astype(np.int32)
            self._indptr = np.searchsorted(unique // n, np.arange(n + 1)).astype(np.int32)
            return lu.solve(rhs)
        data = np.bincount(self._slot, weights=vals, minlength=len(self._indices))
        m = sp.csc_matrix((data, self._indices, self._indptr), shape=(n, n))
        lu = splu(m, permc_spec="NATURAL", **SUPERLU_OPTIONS)
        return lu.solve(rhs[self._order])[self.perm]


def _pressures(problem: GgaProblem, pi_free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pf = np.where(problem.col_from >= 0, pi_free[np.maximum(problem.col_from, 0)], problem.pi_fixed_from)
    pt = np.where(problem.col_to >= 0, pi_free[np.maximum(problem.col_to, 0)], problem.pi_fixed_to)
    return pf * problem.factor_from, pt * problem.factor_to


def _sqrt_ext(pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """√π and its derivative, continued linearly (C¹) below P_FLOOR so that negative π stays differentiable."""
    floor2 = P_FLOOR_PA * P_FLOOR_PA
    big = pi >= floor2
    root = np.sqrt(np.where(big, pi, floor2))
    p = np.where(big, root, P_FLOOR_PA + (pi - floor2) / (2.0 * P_FLOOR_PA))
    return p, 0.5 / root


def _evaluate(problem: GgaProblem, q: np.ndarray, pi_free: np.ndarray):
    """Residuals and derivatives at (q, π): r1 = F − φ (F units), r2 per row, D, ∂F/∂π_from, ∂F/∂π_to."""
    pif, pit = _pressures(problem, pi_free)
    p1, dp1 = _sqrt_ext(pif)
    p2, dp2 = _sqrt_ext(pit)
    m1, m2 = np.maximum(p1, P_FLOOR_PA), np.maximum(p2, P_FLOOR_PA)
    pm = 2.0 / 3.0 * (m1 + m2 - m1 * m2 / (m1 + m2))
    z = problem.z0 + problem.z_slope_per_pa * pm
    # ∂Z/∂π at each end through the mean pressure (zero where √π is continued linearly).
    dz1 = problem.z_slope_per_pa * 2.0 / 3.0 * (1.0 - (m2 / (m1 + m2)) ** 2) * (p1 >= P_FLOOR_PA) * dp1
    dz2 = problem.z_slope_per_pa * 2.0 / 3.0 * (1.0 - (m1 / (m1 + m2)) ** 2) * (p2 >= P_FLOOR_PA) * dp2
    c = problem.column_coef / z * problem.dz
    quad = problem.law.quadratic
    phi, dphi = problem.law.phi(q, z)
    dphi_dz = phi / z if problem.law.uses_z else np.zeros_like(phi)  # φ ∝ Z for Darcy, Weymouth, Panhandle
    # Quadratic form, exact for an isothermal pipe of constant slope (the equivalent-length form of Menon 2005):
    #   π1 − e^s π2 = φ (e^s − 1)/s,  s = 2 g Δz ρ_b T_b / (p_b T Z) = 4 c.
    # Linear form (Renouard LP): F = p1 − p2 − c (p1 + p2) (the column at the mean density; c Δz ~ 1e-4 in LP),
    # using the clamped pressures so that the column's density cannot go negative. Each form is evaluated only
    # where some pipe uses it (every law but Renouard is quadratic everywhere).
    any_quad, any_lin = bool(quad.any()) or not len(quad), not bool(quad.all())
    if any_quad:
        sq = 4.0 * c
        e = np.exp(sq)
        small = np.abs(sq) < 1e-8
        safe = np.where(small, 1.0, sq)
        g = np.where(small, 1.0 + 0.5 * sq, np.expm1(sq) / safe)
        dg = np.where(small, 0.5, (e * (sq - 1.0) + 1.0) / (safe * safe))
        dsq1, dsq2 = -sq / z * dz1, -sq / z * dz2  # s ∝ 1/Z
        fq = pif - e * pit - phi * g
        dq1 = 1.0 - pit * e * dsq1 - dphi_dz * dz1 * g - phi * dg * dsq1
        dq2 = -e - pit * e * dsq2 - dphi_dz * dz2 * g - phi * dg * dsq2
    if any_lin:
        sm = m1 + m2
        ds1, ds2 = (p1 >= P_FLOOR_PA) * dp1, (p2 >= P_FLOOR_PA) * dp2
        fl = p1 - p2 - c * sm - phi
        dl1 = dp1 - c * ds1 + c * sm / z * dz1 - dphi_dz * dz1
        dl2 = -dp2 - c * ds2 + c * sm / z * dz2 - dphi_dz * dz2
    if any_quad and any_lin:
        r1 = np.where(quad, fq, fl)
        df1 = np.where(quad, dq1, dl1)
        df2 = np.where(quad, dq2, dl2)
        dphi = np.where(quad, dphi * g, dphi)
    elif any_quad:
        r1, df1, df2, dphi = fq, dq1, dq2, dphi * g
    else:
        r1, df1, df2 = fl, dl1, dl2
    df1 = df1 * problem.factor_from  # derivatives with respect to the groups' π
    df2 = df2 * problem.factor_to
    n_rows = problem.n_free
    r2 = problem.row_demand.copy()
    mf, mt = problem.row_from >= 0, problem.row_to >= 0
    r2 += np.bincount(problem.row_from[mf], weights=q[mf], minlength=n_rows)
    r2 -= np.bincount(problem.row_to[mt], weights=q[mt], minlength=n_rows)
    # A pipe-law residual as a pressure: quadratic residuals are divided by 2 p̄.
    r1_pa = np.where(quad, r1 / (2.0 * pm), r1)
    return r1, r2, dphi, df1, df2, r1_pa


def solve_gga(
    problem: GgaProblem,
    q0: np.ndarray,
    pi0: np.ndarray,
    *,
    max_iterations: int = 60,
    flow_tolerance: float = 1e-9,
    pressure_tolerance_pa: float = 1e-5,
    check: Callable[[int, float, float], None] | None = None,
    cold: bool = False,
) -> GgaSolution:
    """Solve the contracted network from (q0, π0); tolerances in m³/s and Pa (BLAS on one thread meanwhile).

    ``cold``: q0 and π0 are no solution of anything (a first solve); Newton then starts from the linearised network
    (:func:`_linear_start`) instead.
    """
    with single_threaded_blas():
        return _solve(problem, q0, pi0, max_iterations, flow_tolerance, pressure_tolerance_pa, check, cold)


def _linear_start(problem: GgaProblem, q0: np.ndarray, pi0: np.ndarray, ri: np.ndarray, ci: np.ndarray,
                  keep: np.ndarray, lu: NodeFactor) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(q, π in bar²) of the network with every pipe linearised at q0: the secant resistance R = φ(q0)/q0 in
    ``π_from − π_to = R q`` (a linear-form pipe's p1 − p2 as (π1 − π2)/2p̄), gas-column factors kept. Flows then
    balance every row and pressure drops are spread roughly as they will be: from a cold start Newton needs about
    half the iterations (9 → 5 at the 300k-pipe demo) and far fewer shortened steps. π is kept above half the
    lowest start value, so an infeasible network still starts from positive pressures. Factorises with ``lu``,
    whose ordering Newton then reuses."""
    nf = problem.n_free
    rows_f, rows_t, cols_f, cols_t = problem.row_from, problem.row_to, problem.col_from, problem.col_to
    pif, pit = _pressures(problem, pi0)
    pbar = np.sqrt(np.maximum(0.5 * (pif + pit), P_FLOOR_PA * P_FLOOR_PA))
    z = problem.z0 + problem.z_slope_per_pa * pbar
    q_mag = np.maximum(np.abs(q0), 1e-9)
    phi, _ = problem.law.phi(q_mag, z)
    resistance = np.abs(phi) / q_mag  # F per m³/s
    resistance = np.where(problem.law.quadratic, resistance, resistance * 2.0 * pbar) / PI_SCALE  # bar² per m³/s
    cond = 1.0 / np.maximum(resistance, 1e-300)
    f1, f2 = problem.factor_from, -problem.factor_to  # q = cond (f_from π_from − f_to π_to)
    vals = np.concatenate([cond * f1, cond * f2, -cond * f1, -cond * f2])
    fixed_from = np.where(cols_f < 0, problem.pi_fixed_from, 0.0) / PI_SCALE
    fixed_to = np.where(cols_t < 0, problem.pi_fixed_to, 0.0) / PI_SCALE
    q_fixed = cond * (f1 * fixed_from + f2 * fixed_to)
    rhs = -problem.row_demand.astype(float)
    mf, mt = rows_f >= 0, rows_t >= 0
    rhs -= np.bincount(rows_f[mf], weights=q_fixed[mf], minlength=nf)
    rhs += np.bincount(rows_t[mt], weights=q_fixed[mt], minlength=nf)
    pi = lu.solve(ri, ci, vals[keep], rhs)
    floor = 0.5 * float(np.min(pi0)) / PI_SCALE if len(pi0) else 0.0
    pi = np.where(np.isfinite(pi), np.maximum(pi, floor), np.asarray(pi0, dtype=float) / PI_SCALE)
    end_from = np.where(cols_f >= 0, pi[np.maximum(cols_f, 0)], fixed_from)
    end_to = np.where(cols_t >= 0, pi[np.maximum(cols_t, 0)], fixed_to)
    q = cond * (f1 * end_from + f2 * end_to)
    return np.where(np.isfinite(q), q, q0), pi


def _solve(problem, q0, pi0, max_iterations, flow_tolerance, pressure_tolerance_pa, check, cold=False) -> GgaSolution:
    q = np.asarray(q0, dtype=float).copy()
    pi = np.asarray(pi0, dtype=float).copy() / PI_SCALE  # bar² inside the loop
    nf = problem.n_free
    rows_f, rows_t, cols_f, cols_t = problem.row_from, problem.row_to, problem.col_from, problem.col_to
    history: list[tuple[float, float]] = []

    def evaluate(qq: np.ndarray, pp: np.ndarray):
        r1, r2, d, df1, df2, r1_pa = _evaluate(problem, qq, pp * PI_SCALE)
        return r1 / PI_SCALE, r2, d / PI_SCALE, df1, df2, r1_pa

    def merit(r1: np.ndarray, r2: np.ndarray, d: np.ndarray) -> float:
        return float(np.dot(r2, r2) + np.dot(r1 / d, r1 / d))

    # Schur complement Cᵀ D⁻¹ J: each pipe couples its ≤ 2 rows (+1 from, −1 to) with its ≤ 2 columns.
    ri = np.concatenate([rows_f, rows_f, rows_t, rows_t])
    ci = np.concatenate([cols_f, cols_t, cols_f, cols_t])
    keep = (ri >= 0) & (ci >= 0)
    ri, ci = ri[keep], ci[keep]
    lu = NodeFactor(nf)  # the fill-reducing ordering is found once: the matrix's pattern is the same every iteration
    if cold and nf:
        q, pi = _linear_start(problem, q, pi * PI_SCALE, ri, ci, keep, lu)
    r1, r2, d, df1, df2, r1_pa = evaluate(q, pi)
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        flow_res = float(np.max(np.abs(r2), initial=0.0))
        press_res = float(np.max(np.abs(r1_pa), initial=0.0))
        history.append((flow_res, press_res))
        if check is not None:
            check(iterations, flow_res, press_res)
        if flow_res <= flow_tolerance and press_res <= pressure_tolerance_pa:
            converged = True
            iterations -= 1
            break
        inv_d = 1.0 / d
        vals = np.concatenate([inv_d * df1, inv_d * df2, -inv_d * df1, -inv_d * df2])
        w = inv_d * r1
        rhs = -r2.copy()
        mf, mt = rows_f >= 0, rows_t >= 0
        rhs -= np.bincount(rows_f[mf], weights=w[mf], minlength=nf)
        rhs += np.bincount(rows_t[mt], weights=w[mt], minlength=nf)
        dpi = lu.solve(ri, ci, vals[keep], rhs)
        jd = np.where(cols_f >= 0, df1 * dpi[np.maximum(cols_f, 0)], 0.0) + np.where(
            cols_t >= 0, df2 * dpi[np.maximum(cols_t, 0)], 0.0
        )
        dq = inv_d * (jd + r1)
        # Backtracking line search on the residual norm: flows in m³/s, pipe residuals converted to flows by the
        # D of this iterate (a fixed scaling, so that the trial point is measured with the same yardstick).
        m0 = merit(r1, r2, d)
        alpha = 1.0
        for _ in range(12):
            trial = evaluate(q + alpha * dq, pi + alpha * dpi)
            if merit(trial[0], trial[1], d) <= (1.0 - 1e-4 * alpha) * m0 or alpha < 1e-3:
                break
            alpha *= 0.5
        q += alpha * dq
        pi += alpha * dpi
        r1, r2, d, df1, df2, r1_pa = trial
    flow_res = float(np.max(np.abs(r2), initial=0.0))
    press_res = float(np.max(np.abs(r1_pa), initial=0.0))
    return GgaSolution(q, pi * PI_SCALE, iterations, converged, flow_res, press_res, history)
