"""An example tool set that runs offline: weather, flight status, units, currency, arithmetic.

The data are small local tables (made up, deterministic), so examples, tests and the
function-calling benchmark run anywhere. They also show how little a tool takes: a typed
function with a docstring.
"""

from __future__ import annotations

import ast
import hashlib
import operator
from typing import Literal

from .tools import Tool, tool

# city → (condition, temperature °C, humidity %). Invented values for offline examples.
WEATHER: dict[str, tuple[str, float, int]] = {
    "beijing": ("sunny", 12.0, 30), "shanghai": ("light rain", 16.0, 82),
    "hangzhou": ("cloudy", 15.0, 70), "shenzhen": ("humid", 26.0, 85),
    "tokyo": ("clear", 14.0, 55), "seoul": ("windy", 9.0, 40),
    "singapore": ("thunderstorms", 30.0, 88), "sydney": ("sunny", 24.0, 60),
    "london": ("drizzle", 9.0, 90), "paris": ("overcast", 11.0, 75),
    "berlin": ("cold", 4.0, 65), "madrid": ("sunny", 17.0, 35),
    "new york": ("breezy", 10.0, 50), "san diego": ("sunny", 21.0, 55),
    "san francisco": ("foggy", 15.0, 80), "chicago": ("snow", -2.0, 70),
    "dubai": ("hot", 33.0, 45), "toronto": ("cloudy", 3.0, 60),
}


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


@tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Current weather in a city.

    Args:
        city: the city's name, e.g. "Tokyo"
        unit: temperature unit
    """
    key = " ".join(city.lower().split())
    if key not in WEATHER:
        return f"no weather data for {city!r}; known cities: {', '.join(sorted(WEATHER))}"
    cond, temp, hum = WEATHER[key]
    value = temp if unit == "celsius" else temp * 9 / 5 + 32
    return f"{city.title()}: {cond}, {value:.0f}°{'C' if unit == 'celsius' else 'F'}, humidity {hum}%"


@tool
def flight_status(flight_number: str) -> str:
    """Status of a flight by its number, e.g. "CA1234".

    Args:
        flight_number: airline code and number
    """
    code = "".join(flight_number.upper().split())
    if not (2 < len(code) <= 8 and code[:2].isalnum() and code[2:].isdigit()):
        return f"{flight_number!r} is not a flight number like CA1234"
    states = ["on time", "delayed 25 minutes", "boarding", "landed", "delayed 1 hour"]
    gate = f"{'ABCDE'[_digest(code) % 5]}{_digest(code) % 40 + 1}"
    return f"{code}: {states[_digest(code) % len(states)]}, gate {gate}"


_LINEAR = {  # unit → (dimension, factor to the base unit)
    "m": ("length", 1.0), "km": ("length", 1000.0), "cm": ("length", 0.01),
    "mi": ("length", 1609.344), "ft": ("length", 0.3048), "in": ("length", 0.0254),
    "kg": ("mass", 1.0), "g": ("mass", 0.001), "lb": ("mass", 0.45359237),
    "oz": ("mass", 0.028349523125),
    "km/h": ("speed", 1 / 3.6), "mph": ("speed", 0.44704), "m/s": ("speed", 1.0),
    "l": ("volume", 1.0), "ml": ("volume", 0.001), "gal": ("volume", 3.785411784),
}
_ALIASES = {"kph": "km/h", "kmh": "km/h", "miles": "mi", "mile": "mi", "feet": "ft",
            "foot": "ft", "inch": "in", "inches": "in", "pounds": "lb", "pound": "lb",
            "liters": "l", "litres": "l", "gallons": "gal", "meters": "m", "kilometers": "km",
            "celsius": "c", "fahrenheit": "f", "°c": "c", "°f": "f"}


@tool
def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a quantity between units of length, mass, speed, volume or temperature.

    Args:
        value: the quantity
        from_unit: e.g. "mph", "km", "lb", "f"
        to_unit: e.g. "km/h", "mi", "kg", "c"
    """
    a = _ALIASES.get(from_unit.lower().strip(), from_unit.lower().strip())
    b = _ALIASES.get(to_unit.lower().strip(), to_unit.lower().strip())
    if {a, b} <= {"c", "f"}:
        out = value if a == b else (value * 9 / 5 + 32 if a == "c" else (value - 32) * 5 / 9)
        return f"{value:g} {from_unit} = {out:.2f} {to_unit}"
    if a not in _LINEAR or b not in _LINEAR:
        return f"unknown unit; known: {', '.join(sorted(_LINEAR))}, c, f"
    if _LINEAR[a][0] != _LINEAR[b][0]:
        return f"cannot convert {_LINEAR[a][0]} to {_LINEAR[b][0]}"
    out = value * _LINEAR[a][1] / _LINEAR[b][1]
    return f"{value:g} {from_unit} = {out:.2f} {to_unit}"


RATES = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.0, "CNY": 7.2, "CAD": 1.36}


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert an amount of money between currencies (fixed example rates).

    Args:
        amount: the amount
        from_currency: ISO code, e.g. "USD"
        to_currency: ISO code, e.g. "EUR"
    """
    a, b = from_currency.upper().strip(), to_currency.upper().strip()
    if a not in RATES or b not in RATES:
        return f"unknown currency; known: {', '.join(RATES)}"
    return f"{amount:.2f} {a} = {amount / RATES[a] * RATES[b]:.2f} {b}"


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
        ast.USub: operator.neg, ast.UAdd: operator.pos}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.operand))
    raise ValueError("only numbers and + - * / % ** ( ) are allowed")


@tool
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression such as "(12.5 + 7.25) * 1.08".

    Args:
        expression: numbers with + - * / % ** and parentheses
    """
    if len(expression) > 500:
        return "expression too long"
    try:
        value = _evaluate(ast.parse(expression, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as e:
        return f"cannot evaluate: {e}"
    return f"{value:g}"


EXAMPLE_TOOLS: dict[str, Tool] = {
    t.name: t for t in (get_weather, flight_status, convert_units, convert_currency, calculate)
}
