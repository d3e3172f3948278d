module github.com/reef-ml/reef

go 1.26.8
