"""Android devices over ADB (adb-shell), and a simulated phone that speaks the ADB protocol.

- ``envs.android.env.AndroidEnv`` — any device: ``envs.make("android", serial="HOST:PORT")``.
- ``envs.android.simenv.SimulatedPhoneEnv`` — ``envs.make("android-sim")`` starts the simulated
  phone (a simulator, not Android) in-process and drives it through the same AndroidEnv code.
- ``envs.android.sim`` — the simulator: ``vagent sim phone`` serves it on 127.0.0.1:5555.
- ``envs.android.tasks`` — the phone tasks (wordings, start states, checks, oracles).
"""
