print("civitas")
