"""Pressure-drop laws of a gas pipe (管道压降公式), vectorised over pipes.

Every law is written as ``F(p1, p2) = φ(Q)`` with ``Q`` the flow at base conditions (m³/s in SI, signed, positive
from ``from_node`` to ``to_node``) and either the **quadratic form** ``F = p1² − p2²`` (Pa², absolute pressures) or
the **linear form** ``F = p1 − p2`` (Pa). Elevation adds a gas-column term to ``F`` (see :mod:`._solver`).

``colebrook`` — Darcy–Weisbach for isothermal compressible flow with the Colebrook–White friction factor (default)::

    p1² − p2² = (λ L/D + ζ) · 16 ρ_b p_b Z T Q|Q| / (π² D⁴ T_b)
    1/√λ = −2 lg( k/(3.7 D) + 2.51/(Re √λ) ),   Re = 4 ρ_b |Q| / (π D μ)

  with λ = 64/Re below Re 2000, Colebrook–White above 4000 and a C¹ cubic in Re between (as EPANET interpolates the
  transition zone, Dunlop 1991). With ``laminar=False`` Colebrook–White applies at every Reynolds number, as in
  STANET's and pandapipes' "Prandtl–Colebrook" model (continued linearly below Re 1 so that Q = 0 stays regular).
  The roughness term uses 3.7 as GB 50028 writes it (DVGW/STANET/pandapipes use 3.71; the difference changes λ of
  rough pipes by ~0.1 %). This is GB 50028-2006 eq. 6.2.6 (次高压/中压: (P1²−P2²)/L = 1.27×10¹⁰ λ Q²/d⁵ ·
  ρ T/T0 · Z in kPa², km, Nm³/h, mm) with its friction factor eq. 6.2.5-2; the constant 1.27×10¹⁰ is
  16 p0 /(π² · 3600²) in those units. ζ is an optional minor-loss coefficient (a pipe column ``loss_coefficient``).

``nikuradse`` — the same Darcy form with λ = 64/Re + 1/(2 lg(D/k) + 1.14)² (fully rough Nikuradse plus a laminar
  term), the "nikuradse" model of STANET and pandapipes; kept for comparisons with those tools.

``renouard`` — Renouard's simplified formulas (Renouard 1952, as tabulated in UNE 60621/60670 and used for
  distribution networks); ``s`` the relative density, ``L`` length, ``Q`` in m³(n)/h at 0 °C, ``D`` inner diameter
  in mm. Low-pressure systems (class LP, < 10 kPa) use the linear form, all others the quadratic form::

    LP:  p1 − p2   [mbar]      = 23 200 · s · L[m]  · Q^1.82 · D^−4.82
    MP:  p1² − p2² [bar² abs] = 48 600 · s · L[km] · Q^1.82 · D^−4.82

``weymouth`` — Weymouth, in the base-SI form of Menon (2005) as given by Crane (2009) and the ``fluids`` library::

    Q_b = 137.32958 · E · (T_b/p_b) · [ (p1² − p2²) / (L · s · T · Z) ]^0.5 · D^2.667      (SI: m³/s, Pa, m, K)

``panhandle-a`` — Panhandle A, same source and units::

    Q_b = 158.02053 · E · (T_b/p_b)^1.0788 · [ (p1² − p2²) / (L · s^0.8539 · T · Z) ]^0.5394 · D^2.6182

  ``E`` is the pipeline efficiency (default 0.92 as in Menon's examples).

Power laws (Renouard, Weymouth, Panhandle A) have zero slope at zero flow; below ``Q_REG`` = 1e-6 m³/s
(0.0036 m³/h) they are continued linearly so that Newton's Jacobian stays finite on dead ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from console.hydraulics._gas import GasProperties

__all__ = [
    "FlowLaw",
    "PipeLaw",
    "colebrook_white",
    "friction_factor",
    "pipe_outlet_pressure",
]

WEYMOUTH_C = 137.3295809942512546732179684618143090992  # 37435·10^(501/1000)/864, Menon's 3.7435e-3 in base SI
PANHANDLE_A_C = 158.0205328706957220332831680508433862787  # 45965·10^(591/1250)/864
RENOUARD_LP = 23_200.0  # mbar, m, m³(n)/h, mm
RENOUARD_MP = 48_600.0  # bar², km, m³(n)/h, mm
RENOUARD_EXP = 1.82
Q_REG = 1e-6  # m³/s: below this the power laws are continued linearly
RE_LAMINAR = 2000.0
RE_TURBULENT = 4000.0
RE_MIN_CW = 1.0  # Colebrook–White everywhere: below this Reynolds number φ is continued linearly


class FlowLaw(StrEnum):
    """Pressure-drop law of the pipes (see the module docstring for the formulas)."""

    COLEBROOK = "colebrook"
    NIKURADSE = "nikuradse"
    RENOUARD = "renouard"
    WEYMOUTH = "weymouth"
    PANHANDLE_A = "panhandle-a"

    @property
    def darcy(self) -> bool:
        return self in (FlowLaw.COLEBROOK, FlowLaw.NIKURADSE)


def colebrook_white(re: np.ndarray, rel_roughness: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Darcy friction factor λ of Colebrook–White and dλ/dRe, solved to machine precision (vectorised).

    ``1/√λ = −2 lg(r/3.7 + 2.51/(Re √λ))`` with ``r = k/D``; Newton on x = 1/√λ from the Swamee–Jain estimate.

    >>> lam, _ = colebrook_white(np.array([1e5]), np.array([1e-4]))
    >>> round(float(lam[0]), 6)
    0.018514
    """
    re = np.asarray(re, dtype=float)
    r = np.broadcast_to(np.asarray(rel_roughness, dtype=float), re.shape)
    ln10 = np.log(10.0)
    # Swamee–Jain start, kept positive (λ ≤ 100) so that the log's argument stays positive at any Re.
    x = np.maximum(-2.0 * np.log10(r / 3.7 + 5.74 / re**0.9), 0.1)
    for _ in range(60):
        b = r / 3.7 + 2.51 * x / re
        g = x + 2.0 * np.log10(b)
        dg = 1.0 + (2.0 / ln10) * (2.51 / re) / b
        step = g / dg
        # g is concave and increasing: Newton may overshoot to the left, never below half the current x.
        step = np.minimum(step, 0.5 * x)
        x = x - step
        if np.all(np.abs(step) <= 1e-14 * np.abs(x)):
            break
    b = r / 3.7 + 2.51 * x / re
    dg_dx = 1.0 + (2.0 / ln10) * (2.51 / re) / b
    dg_dre = -(2.0 / ln10) * (2.51 * x / re**2) / b
    dx_dre = -dg_dre / dg_dx
    lam = x**-2
    return lam, -2.0 * x**-3 * dx_dre


def friction_factor(re: np.ndarray, rel_roughness: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """λ and dλ/dRe over all regimes: 64/Re (Re ≤ 2000), cubic transition, Colebrook–White (Re ≥ 4000).

    >>> float(friction_factor(np.array([1000.0]), np.array([0.0]))[0][0])
    0.064
    """
    re = np.asarray(re, dtype=float)
    r = np.broadcast_to(np.asarray(rel_roughness, dtype=float), re.shape)
    lam = np.empty_like(re)
    dlam = np.empty_like(re)
    lam_mask = re <= RE_LAMINAR
    safe = np.maximum(re[lam_mask], 1e-12)
    lam[lam_mask] = 64.0 / safe
    dlam[lam_mask] = -64.0 / safe**2
    turb = re >= RE_TURBULENT
    if turb.any():
        lam[turb], dlam[turb] = colebrook_white(re[turb], r[turb])
    mid = ~lam_mask & ~turb
    if mid.any():
        h = RE_TURBULENT - RE_LAMINAR
        l0, s0 = 64.0 / RE_LAMINAR, -64.0 / RE_LAMINAR**2
        l1, s1 = colebrook_white(np.full(mid.sum(), RE_TURBULENT), r[mid])
        t = (re[mid] - RE_LAMINAR) / h
        t2, t3 = t * t, t * t * t
        lam[mid] = (
            (2 * t3 - 3 * t2 + 1) * l0 + (t3 - 2 * t2 + t) * h * s0 + (-2 * t3 + 3 * t2) * l1 + (t3 - t2) * h * s1
        )
        dlam[mid] = (
            (6 * t2 - 6 * t) * l0 + (3 * t2 - 4 * t + 1) * h * s0 + (-6 * t2 + 6 * t) * l1 + (3 * t2 - 2 * t) * h * s1
        ) / h
    return lam, dlam


@dataclass(frozen=True, eq=False)
class PipeLaw:
    """The law of a set of pipes with its per-pipe constants; ``phi(q, z)`` evaluates φ and dφ/dQ.

    Build with :meth:`build`. ``quadratic[i]`` tells the form of pipe ``i`` (True: p1² − p2² in Pa², False:
    p1 − p2 in Pa). Flows ``q`` are at base conditions in m³/s; ``z`` the compressibility per pipe.
    """

    law: FlowLaw
    quadratic: np.ndarray  # bool per pipe
    coef: np.ndarray  # Darcy: 16 ρ_b p_b T/(π² D⁴ T_b); power laws: K of φ = K Z^e |Q|^(n-1) Q
    exponent: float  # n of the power laws (2 for Darcy)
    uses_z: bool
    l_over_d: np.ndarray | None = None
    zeta: np.ndarray | None = None
    re_per_flow: np.ndarray | None = None  # Re = re_per_flow · |Q|
    rel_roughness: np.ndarray | None = None
    laminar: bool = True  # Darcy: laminar + transition zone (True) or Colebrook–White at every Re (False)

    @classmethod
    def build(
        cls,
        law: FlowLaw,
        gas: GasProperties,
        length_m: np.ndarray,
        diameter_m: np.ndarray,
        roughness_m: np.ndarray | None = None,
        loss_coefficient: np.ndarray | None = None,
        linear_form: np.ndarray | None = None,
        efficiency: float = 0.92,
        laminar: bool = True,
    ) -> PipeLaw:
        """Per-pipe constants of ``law``; ``linear_form`` (bool per pipe) selects Renouard's LP form."""
        law = FlowLaw(law)
        length = np.asarray(length_m, dtype=float)
        d = np.asarray(diameter_m, dtype=float)
        n = len(length)
        quadratic = np.ones(n, dtype=bool)
        s = gas.relative_density
        t, tb, pb = gas.temperature_k, gas.base_temperature_k, gas.base_pressure_pa
        if law.darcy:
            rho_b = gas.density_base_kg_m3
            k = np.zeros(n) if roughness_m is None else np.asarray(roughness_m, dtype=float)
            zeta = np.zeros(n) if loss_coefficient is None else np.asarray(loss_coefficient, dtype=float)
            return cls(
                law,
                quadratic,
                16.0 * rho_b * pb * t / (np.pi**2 * d**4 * tb),
                2.0,
                True,
                l_over_d=length / d,
                zeta=zeta,
                re_per_flow=4.0 * rho_b / (np.pi * d * gas.viscosity_pa_s),
                rel_roughness=k / d,
                laminar=laminar,
            )
        if law is FlowLaw.RENOUARD:
            if linear_form is not None:
                quadratic = ~np.asarray(linear_form, dtype=bool)
            # Q in m³(n)/h = 3600 · κ · Q_b[m³/s]; D in mm.
            q_scale = 3600.0 * float(gas.to_normal_flow(1.0))
            base = s * q_scale**RENOUARD_EXP * (1000.0 * d) ** -4.82
            coef = np.where(quadratic, 1e10 * RENOUARD_MP * (length / 1000.0), 100.0 * RENOUARD_LP * length) * base
            return cls(law, quadratic, coef, RENOUARD_EXP, False)
        if law is FlowLaw.WEYMOUTH:
            coef = length * s * t / (WEYMOUTH_C * efficiency * (tb / pb) * d**2.667) ** 2
            return cls(law, quadratic, coef, 2.0, True)
        if law is FlowLaw.PANHANDLE_A:
            n_exp = 1.0 / 0.5394
            coef = length * s**0.8539 * t * (PANHANDLE_A_C * efficiency * (tb / pb) ** 1.0788 * d**2.6182) ** -n_exp
            return cls(law, quadratic, coef, n_exp, True)
        raise ValueError(f"unknown flow law {law!r}")

    def take(self, idx: np.ndarray) -> PipeLaw:
        """The same law for the pipes ``idx`` (an index or boolean array)."""
        per_pipe = (self.l_over_d, self.zeta, self.re_per_flow, self.rel_roughness)
        sub = (None if v is None else v[idx] for v in per_pipe)
        return PipeLaw(self.law, self.quadratic[idx], self.coef[idx], self.exponent, self.uses_z, *sub, self.laminar)

    def phi(self, q: np.ndarray, z: np.ndarray | float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """φ(Q) and dφ/dQ per pipe (Pa² or Pa, per m³/s)."""
        q = np.asarray(q, dtype=float)
        zf = np.asarray(z, dtype=float) if self.uses_z else 1.0
        aq = np.abs(q)
        if self.law.darcy:
            assert self.l_over_d is not None and self.zeta is not None and self.re_per_flow is not None
            c = self.coef * zf
            re = self.re_per_flow * aq
            if self.law is FlowLaw.NIKURADSE:
                lam_r = 1.0 / (2.0 * np.log10(1.0 / self.rel_roughness) + 1.14) ** 2
                lin = 64.0 * self.l_over_d / self.re_per_flow  # laminar 64/Re term, linear in Q
                quad = lam_r * self.l_over_d + self.zeta
                return c * (lin * q + quad * q * aq), c * (lin + 2.0 * quad * aq)
            if not self.laminar:
                small = re < RE_MIN_CW
                lam, dlam = colebrook_white(np.maximum(re, RE_MIN_CW), self.rel_roughness)
                q_min = RE_MIN_CW / self.re_per_flow
                qq = np.where(small, q_min, aq)
                fric = lam * self.l_over_d + self.zeta
                phi = c * fric * qq * qq
                dphi = c * (self.l_over_d * dlam * self.re_per_flow * qq * qq + 2.0 * fric * qq)
                return np.sign(q) * phi * np.where(small, aq / q_min, 1.0), np.where(small, phi / q_min, dphi)
            lam, dlam = friction_factor(re, self.rel_roughness)
            laminar = re <= RE_LAMINAR
            fric = np.where(laminar, 0.0, lam * self.l_over_d)
            # 64/Re · L/D · Q|Q| = 64 L/(D a) · Q: written linearly so that Q = 0 is exact.
            lin = np.where(laminar, 64.0 * self.l_over_d / self.re_per_flow, 0.0)
            phi = c * (lin * q + (fric + self.zeta) * q * aq)
            dphi = c * (
                lin
                + np.where(laminar, 0.0, self.l_over_d * dlam * self.re_per_flow * q * q)
                + 2.0 * (fric + self.zeta) * aq
            )
            return phi, dphi
        n = self.exponent
        big = aq > Q_REG
        mag = np.where(big, aq, Q_REG) ** (n - 1.0)
        k = self.coef * zf
        phi = k * mag * q
        dphi = k * np.where(big, n * mag, mag)
        return phi, dphi


def pipe_outlet_pressure(
    law: FlowLaw | str,
    gas: GasProperties,
    inlet_pressure_abs_pa: float,
    flow_base_m3h: float,
    length_m: float,
    inner_diameter_mm: float,
    roughness_mm: float = 0.05,
    *,
    linear_form: bool = False,
    efficiency: float = 0.92,
) -> float:
    """Outlet absolute pressure (Pa) of one level pipe carrying ``flow_base_m3h`` — a quick sizing check.

    Z is evaluated at the mean pressure and iterated to a fixed point. Raises ``ValueError`` when the flow would
    need a negative absolute pressure.
    """
    pl = PipeLaw.build(
        FlowLaw(law),
        gas,
        np.array([length_m]),
        np.array([inner_diameter_mm / 1000.0]),
        np.array([roughness_mm / 1000.0]),
        linear_form=np.array([linear_form]),
        efficiency=efficiency,
    )
    q = np.array([flow_base_m3h / 3600.0])
    p1 = float(inlet_pressure_abs_pa)
    p2 = p1
    for _ in range(100):
        pm = 2.0 / 3.0 * (p1 + p2 - p1 * p2 / (p1 + p2))
        phi = float(pl.phi(q, gas.z(np.array([pm])))[0][0])
        value = p1 * p1 - phi if pl.quadratic[0] else p1 - phi
        if value <= 0:
            raise ValueError(f"{flow_base_m3h} m³/h needs a negative absolute outlet pressure")
        new = float(np.sqrt(value)) if pl.quadratic[0] else value
        if abs(new - p2) <= 1e-13 * p1:
            return new
        p2 = new
    return p2
