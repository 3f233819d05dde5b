module github.com/c7doctor/c7doctor

go 1.26.0
