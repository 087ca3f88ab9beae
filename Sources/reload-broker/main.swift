print("reload-broker: not built yet")
