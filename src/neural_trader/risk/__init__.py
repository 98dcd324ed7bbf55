"""Risk: pre-trade limits and the kill switch (trading); portfolio risk (issue 6).

Pre-trade: :mod:`.limits`, :mod:`.checks`, :mod:`.killswitch`. Portfolio: :mod:`.portfolio`
(validated positions), :mod:`.var` (VaR/CVaR, components, Kupiec), :mod:`.montecarlo`,
:mod:`.stress`, :mod:`.correlation`, :mod:`.sizing`, :mod:`.optimize` (skfolio, optional
extra ``risk``) and :mod:`.rebalance`. Submodules are imported where used, so importing the
package stays cheap for the order path.
"""
