module example.com/shop

go 1.26.0

require github.com/usagekit/usagekit v0.0.0

replace github.com/usagekit/usagekit => ../../../../..
