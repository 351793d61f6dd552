"""When two computed numbers count as equal.

Points, rates, weights and memberships are computed in floating point: a survey mean
rescaled to 0.7999999999999999 where the formula gives 0.8, points 33.33 + 33.33 + 33.34
summing to 100.00000000000001. Every comparison of such numbers with a threshold or a
declared sum — a band's ``min`` and a veto's ``value`` (:mod:`evalkit.rules`,
:mod:`evalkit.scoring`), a scheme's points adding up to their parent and a grade's lower
bound (:mod:`evalkit.scheme`), fuzzy memberships summing to 1 (:mod:`evalkit.mcda`) —
allows :data:`TOLERANCE`, far above floating-point noise and far below anything a bureau
writes or a campaign's data can make (points and totals have 4 decimals).
"""

#: Two computed numbers closer than this count as equal.
TOLERANCE = 1e-9
